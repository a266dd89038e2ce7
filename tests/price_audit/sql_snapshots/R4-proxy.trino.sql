WITH "t8" AS (
  SELECT
    *
  FROM (
    SELECT
      "t6"."seq",
      "t6"."platform",
      "t6"."shop_id",
      "t6"."sku_id",
      "t6"."series_hash",
      "t6"."observed_at",
      "t6"."observed_us",
      "t6"."observed_min",
      "t6"."day",
      "t6"."price_fen",
      "t6"."strike_fen",
      "t6"."strike_label",
      "t6"."promo_label",
      "t6"."promo_start_day",
      "t6"."promo_end_day",
      "t6"."surface",
      "t6"."title",
      "t6"."r4",
      SUM(IF("t6"."r4", 0, 1)) OVER (
        PARTITION BY "t6"."platform", "t6"."shop_id", "t6"."sku_id"
        ORDER BY "t6"."observed_us" ASC
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS "run_no"
    FROM (
      SELECT
        "t5"."seq",
        "t5"."platform",
        "t5"."shop_id",
        "t5"."sku_id",
        "t5"."series_hash",
        "t5"."observed_at",
        "t5"."observed_us",
        "t5"."observed_min",
        "t5"."day",
        "t5"."price_fen",
        "t5"."strike_fen",
        "t5"."strike_label",
        "t5"."promo_label",
        "t5"."promo_start_day",
        "t5"."promo_end_day",
        "t5"."surface",
        "t5"."title",
        (
          (
            STRPOS("t5"."promo_label", '限时') > 0
          )
          OR (
            STRPOS("t5"."promo_label", '秒杀') > 0
          )
          OR (
            STRPOS("t5"."promo_label", '倒计时') > 0
          )
        )
        AND (
          (
            "t5"."promo_start_day" IS NULL
          ) OR (
            "t5"."promo_end_day" IS NULL
          )
        ) AS "r4"
      FROM (
        SELECT
          "t1"."seq",
          "t1"."platform",
          "t1"."shop_id",
          "t1"."sku_id",
          "t1"."series_hash",
          "t1"."observed_at",
          "t1"."observed_us",
          "t1"."observed_min",
          "t1"."day",
          "t1"."price_fen",
          "t1"."strike_fen",
          "t1"."strike_label",
          "t1"."promo_label",
          "t1"."promo_start_day",
          "t1"."promo_end_day",
          "t1"."surface",
          "t1"."title"
        FROM "price_observations" AS "t1"
        INNER JOIN (
          SELECT
            "t2"."keep_seq" AS "seq"
          FROM (
            SELECT
              "t0"."platform",
              "t0"."shop_id",
              "t0"."sku_id",
              "t0"."observed_us",
              "t0"."surface",
              MAX("t0"."seq") AS "keep_seq"
            FROM "price_observations" AS "t0"
            GROUP BY
              1,
              2,
              3,
              4,
              5
          ) AS "t2"
        ) AS "t4"
          ON "t1"."seq" = "t4"."seq"
      ) AS "t5"
      WHERE
        "t5"."surface" = 'detail'
    ) AS "t6"
  ) AS "t7"
  WHERE
    "t7"."r4"
)
SELECT
  'R4' AS "rule_id",
  '《规范促销行为暂行规定》第二十条；《明码标价和禁止价格欺诈规定》第十九条第（四）项、第（六）项' AS "article",
  "t13"."platform",
  "t13"."shop_id",
  "t13"."sku_id",
  "t13"."day" AS "episode_start",
  "t13"."observed_at",
  CAST(CAST("t13"."strike_fen" AS DECIMAL(20, 2)) * CAST('0.01' AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS "strike_price",
  CAST(CAST("t13"."price_fen" AS DECIMAL(20, 2)) * CAST('0.01' AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS "price",
  CAST(NULL AS DECIMAL(18, 2)) AS "baseline_price",
  "t13"."day" AS "window_start",
  "t13"."run_last_day" AS "window_end",
  'proxy' AS "evidence",
  CONCAT(
    CONCAT(
      CONCAT(
        CONCAT(
          CONCAT(
            CONCAT(
              CONCAT(CONCAT(CONCAT('', '涉嫌未显著标明限时促销期限：详情页促销标签「'), "t13"."promo_label"), '」未同时标明起止时间（'),
              CAST("t13"."day" AS VARCHAR)
            ),
            ' 至 '
          ),
          CAST("t13"."run_last_day" AS VARCHAR)
        ),
        ' 连续 '
      ),
      CAST("t13"."run_obs" AS VARCHAR)
    ),
    ' 次观测）。'
  ) AS "detail_zh"
FROM (
  SELECT
    "t10"."seq",
    "t10"."platform",
    "t10"."shop_id",
    "t10"."sku_id",
    "t10"."series_hash",
    "t10"."observed_at",
    "t10"."observed_us",
    "t10"."observed_min",
    "t10"."day",
    "t10"."price_fen",
    "t10"."strike_fen",
    "t10"."strike_label",
    "t10"."promo_label",
    "t10"."promo_start_day",
    "t10"."promo_end_day",
    "t10"."surface",
    "t10"."title",
    "t10"."r4",
    "t12"."run_last_day",
    "t12"."run_obs"
  FROM "t8" AS "t10"
  INNER JOIN (
    SELECT
      "t9"."platform",
      "t9"."shop_id",
      "t9"."sku_id",
      "t9"."run_no",
      MIN("t9"."observed_us") AS "run_first_us",
      MAX("t9"."day") AS "run_last_day",
      COUNT(*) AS "run_obs"
    FROM "t8" AS "t9"
    GROUP BY
      1,
      2,
      3,
      4
  ) AS "t12"
    ON "t10"."platform" = "t12"."platform"
    AND "t10"."shop_id" = "t12"."shop_id"
    AND "t10"."sku_id" = "t12"."sku_id"
    AND "t10"."run_no" = "t12"."run_no"
    AND "t10"."observed_us" = "t12"."run_first_us"
) AS "t13"
