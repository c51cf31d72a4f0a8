"""The web UI (floor 7): server-rendered Jinja2 pages, Chinese by default with an English switch, charts
drawn with Apache ECharts from the ``vizly`` package (no CDN). ``kejin.web.app.create_app`` serves the UI and
the API from one process."""
