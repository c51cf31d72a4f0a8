// kejin web UI: draws the charts from the JSON embedded in each page and polls import jobs.
(function () {
  "use strict";
  var zh = document.documentElement.lang !== "en";
  function data(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }
  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el || typeof echarts === "undefined") return;
    var c = echarts.init(el);
    // containLabel: long or rotated axis labels (sector names, district codes) stay inside the chart
    // no animation: a chart is complete when drawn (a single point stays visible, screenshots are deterministic)
    c.setOption(Object.assign({ animation: false, tooltip: { trigger: "axis" }, grid: { left: 16, right: 24, top: 30, bottom: 8, containLabel: true } }, option));
    window.addEventListener("resize", function () { c.resize(); });
  }
  function bar(id, obj, name) {
    var keys = Object.keys(obj || {});
    chart(id, { xAxis: { type: "category", data: keys, axisLabel: { rotate: keys.length > 8 ? 40 : 0 } },
      yAxis: { type: "value" }, series: [{ type: "bar", name: name, data: keys.map(function (k) { return obj[k]; }), itemStyle: { color: "#1f5fa8" } }] });
  }
  var ov = data("overview-data");
  if (ov) {
    var st = ov.stages || {};
    chart("chart-stages", { tooltip: { trigger: "item" }, xAxis: { type: "category", data: Object.keys(st) }, yAxis: { type: "value" },
      series: [{ type: "boxplot", data: Object.keys(st).map(function (k) { return st[k]; }) }] });
    bar("chart-tiers", ov.tiers, zh ? "企业数" : "firms");
    bar("chart-sectors", ov.sectors, zh ? "企业数" : "firms");
    bar("chart-districts", ov.districts, zh ? "平均积分" : "mean points");
  }
  var pr = data("profile-data");
  if (pr) {
    chart("chart-timeline", { xAxis: { type: "category", data: pr.timeline.map(function (x) { return x.label; }) }, yAxis: { type: "value" },
      series: [{ type: "line", name: zh ? "积分" : "points", data: pr.timeline.map(function (x) { return x.points; }), smooth: true,
        showSymbol: true, symbolSize: 8 }] });  // one batch is one point: draw it
    var keys = Object.keys(pr.radar || {});
    if (keys.length) {
      var max = Math.max.apply(null, keys.map(function (k) { return pr.radar[k] || 0; })) || 1;
      var names = pr.radar_labels || {};
      var label = function (k) { return names[k] ? (zh ? names[k].zh : names[k].en) : k; };
      chart("chart-radar", { tooltip: {}, radar: { indicator: keys.map(function (k) { return { name: label(k), max: max }; }) },
        series: [{ type: "radar", data: [{ value: keys.map(function (k) { return pr.radar[k]; }), name: zh ? "分组得分" : "group scores" }] }] });
    }
  }
  var fd = data("fund-data");
  if (fd) {
    var b = fd.band, h = fd.history;
    // one colour per series for line and legend alike (the legend otherwise shows the default palette)
    function line(name, xs, ys, color, type, width) {
      return { type: "line", name: name, showSymbol: false, color: color, lineStyle: { type: type || "solid", width: width || 1.5 },
        data: xs.map(function (x, i) { return [x, ys[i]]; }) };
    }
    var fund = line("TVPI", h.map(function (r) { return r.age_years; }), h.map(function (r) { return r.tvpi; }), "#1f5fa8", "solid", 3);
    fund.showSymbol = true;
    chart("chart-jcurve", { legend: { top: 0 }, grid: { left: 16, right: 24, top: 40, bottom: 28, containLabel: true },
      xAxis: { type: "value", name: zh ? "基金年限（年）" : "fund age (years)", nameLocation: "middle", nameGap: 28 },
      yAxis: { type: "value", name: "TVPI" },
      series: [line(zh ? "底线" : "floor", b.ages, b.tvpi_floor, "#b3261e", "dotted"),
        line(zh ? "区间下沿" : "band low", b.ages, b.tvpi_low, "#8a8f98", "dashed"),
        line(zh ? "区间中值" : "band mid", b.ages, b.tvpi_mid, "#b9bec6"),
        line(zh ? "区间上沿" : "band high", b.ages, b.tvpi_high, "#8a8f98", "dashed"), fund] });
  }
  var job = document.getElementById("job");
  if (job && (job.dataset.status === "queued" || job.dataset.status === "running")) {
    var poll = function () {
      fetch("/api/v1/imports/" + job.dataset.job, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (j) {
        document.getElementById("job-bar").style.width = (100 * j.progress) + "%";
        document.getElementById("job-rows").textContent = j.rows_written;
        if (j.status === "queued" || j.status === "running") setTimeout(poll, 500); else location.reload();
      });
    };
    setTimeout(poll, 300);
  }
})();
