-- The tech-SME rules (科技型中小企业评价办法) written by hand as one DuckDB query over `facts`.
-- Used as an independent oracle in the tests and as the speed reference in the benchmark.
WITH p AS (
  SELECT uscc, year,
    CASE WHEN tech_staff >= 0.30 * employees THEN 20 WHEN tech_staff >= 0.25 * employees THEN 16
         WHEN tech_staff >= 0.20 * employees THEN 12 WHEN tech_staff >= 0.15 * employees THEN 8
         WHEN tech_staff >= 0.10 * employees THEN 4 ELSE 0 END AS staff_pts,
    GREATEST(
      CASE WHEN revenue = 0 THEN NULL WHEN rd_expense >= 0.06 * revenue THEN 50 WHEN rd_expense >= 0.05 * revenue THEN 40
           WHEN rd_expense >= 0.04 * revenue THEN 30 WHEN rd_expense >= 0.03 * revenue THEN 20
           WHEN rd_expense >= 0.02 * revenue THEN 10 ELSE 0 END,
      CASE WHEN total_cost IS NULL OR total_cost = 0 THEN NULL WHEN rd_expense >= 0.30 * total_cost THEN 50
           WHEN rd_expense >= 0.25 * total_cost THEN 40 WHEN rd_expense >= 0.20 * total_cost THEN 30
           WHEN rd_expense >= 0.15 * total_cost THEN 20 WHEN rd_expense >= 0.10 * total_cost THEN 10 ELSE 0 END
    ) AS rd_pts,
    CASE WHEN ip_class1 >= 1 THEN 30 WHEN ip_class2 >= 4 THEN 24 WHEN ip_class2 >= 3 THEN 18
         WHEN ip_class2 >= 2 THEN 12 WHEN ip_class2 >= 1 THEN 6 ELSE 0 END AS ip_pts,
    employees <= 500 AND revenue <= 200000000 AND total_assets <= 200000000
      AND NOT coalesce(prohibited_industry, false) AND NOT serious_violation AS eligible,
    high_tech_certified OR national_award_top3_5y OR provincial_rd_institution OR led_standard_5y AS direct
  FROM facts
)
SELECT uscc, year, staff_pts + rd_pts + ip_pts AS sql_total,
       eligible AND (direct OR (staff_pts + rd_pts + ip_pts >= 60 AND staff_pts > 0)) AS sql_passed
FROM p
