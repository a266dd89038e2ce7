WITH "t5" AS (
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
), "t8" AS (
  SELECT
    "t6"."platform",
    "t6"."shop_id",
    "t6"."sku_id",
    "t6"."day",
    "t6"."observed_us" AS "paid_us",
    "t6"."price_fen"
  FROM "t5" AS "t6"
  WHERE
    "t6"."surface" = 'detail'
), "t17" AS (
  SELECT
    "t15"."platform",
    "t15"."shop_id",
    "t15"."sku_id",
    "t15"."day",
    MAX("t15"."price_fen") AS "last_fen",
    MAX("t15"."min_fen") AS "min_fen"
  FROM (
    SELECT
      "t10"."platform",
      "t10"."shop_id",
      "t10"."sku_id",
      "t10"."day",
      "t10"."paid_us",
      "t10"."price_fen",
      "t13"."min_fen",
      "t13"."last_us"
    FROM "t8" AS "t10"
    INNER JOIN (
      SELECT
        "t9"."platform",
        "t9"."shop_id",
        "t9"."sku_id",
        "t9"."day",
        MIN("t9"."price_fen") AS "min_fen",
        MAX("t9"."paid_us") AS "last_us"
      FROM "t8" AS "t9"
      GROUP BY
        1,
        2,
        3,
        4
    ) AS "t13"
      ON "t10"."platform" = "t13"."platform"
      AND "t10"."shop_id" = "t13"."shop_id"
      AND "t10"."sku_id" = "t13"."sku_id"
      AND "t10"."day" = "t13"."day"
      AND "t10"."paid_us" = "t13"."last_us"
  ) AS "t15"
  GROUP BY
    1,
    2,
    3,
    4
)
SELECT
  'R1' AS "rule_id",
  '《明码标价和禁止价格欺诈规定》第十六条第二款；《规范促销行为暂行规定》第二十一条第二款' AS "article",
  "t26"."platform",
  "t26"."shop_id",
  "t26"."sku_id",
  "t26"."start_day" AS "episode_start",
  "t26"."observed_at",
  CAST(CAST("t26"."strike_fen" AS DECIMAL(20, 2)) * CAST(0.01 AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS "strike_price",
  CAST(CAST("t26"."price_fen" AS DECIMAL(20, 2)) * CAST(0.01 AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS "price",
  CAST(CAST(COALESCE("t26"."low7_fen", "t26"."last_fen") AS DECIMAL(20, 2)) * CAST(0.01 AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS "baseline_price",
  CAST(CAST("t26"."start_day" - INTERVAL '7' DAY AS TIMESTAMP) AS DATE) AS "window_start",
  CAST(CAST("t26"."start_day" - INTERVAL '1' DAY AS TIMESTAMP) AS DATE) AS "window_end",
  'proxy' AS "evidence",
  CASE
    WHEN "t26"."low7_fen" IS NOT NULL
    THEN '' || '涉嫌虚构原价：自 ' || CAST("t26"."start_day" AS TEXT) || ' 起标示的被比较价格 ¥' || CAST(CAST(CAST("t26"."strike_fen" AS DECIMAL(20, 2)) * CAST(0.01 AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS TEXT) || ' 高于比较前七日（' || CAST(CAST(CAST("t26"."start_day" - INTERVAL '7' DAY AS TIMESTAMP) AS DATE) AS TEXT) || ' 至 ' || CAST(CAST(CAST("t26"."start_day" - INTERVAL '1' DAY AS TIMESTAMP) AS DATE) AS TEXT) || '）内的最低' || '成交价（以详情页标示价格代替）' || ' ¥' || CAST(CAST(CAST("t26"."low7_fen" AS DECIMAL(20, 2)) * CAST(0.01 AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS TEXT) || '。'
    ELSE '' || '涉嫌虚构原价：自 ' || CAST("t26"."start_day" AS TEXT) || ' 起标示的被比较价格 ¥' || CAST(CAST(CAST("t26"."strike_fen" AS DECIMAL(20, 2)) * CAST(0.01 AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS TEXT) || ' 高于比较前最后一次' || '成交价（以详情页标示价格代替）' || ' ¥' || CAST(CAST(CAST("t26"."last_fen" AS DECIMAL(20, 2)) * CAST(0.01 AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS TEXT) || '（' || CAST("t26"."last_day" AS TEXT) || '；前七日 ' || CAST(CAST(CAST("t26"."start_day" - INTERVAL '7' DAY AS TIMESTAMP) AS DATE) AS TEXT) || ' 至 ' || CAST(CAST(CAST("t26"."start_day" - INTERVAL '1' DAY AS TIMESTAMP) AS DATE) AS TEXT) || ' 内无' || '成交（以详情页标示价格代替）' || '）。'
  END AS "detail_zh"
FROM (
  SELECT
    "t25"."platform",
    "t25"."shop_id",
    "t25"."sku_id",
    "t25"."observed_at",
    "t25"."observed_us",
    "t25"."price_fen",
    "t25"."strike_fen",
    "t25"."strike_label",
    "t25"."start_day",
    "t25"."low7_fen",
    "t25"."last_day",
    "t25"."n_tx_days",
    "t21"."last_fen"
  FROM (
    SELECT
      "t23"."platform",
      "t23"."shop_id",
      "t23"."sku_id",
      "t23"."observed_at",
      "t23"."observed_us",
      "t23"."price_fen",
      "t23"."strike_fen",
      "t23"."strike_label",
      "t23"."start_day",
      MIN("t23"."t_min") FILTER(WHERE
        "t23"."t_day" >= CAST(CAST("t23"."start_day" - INTERVAL '7' DAY AS TIMESTAMP) AS DATE)) AS "low7_fen",
      MAX("t23"."t_day") AS "last_day",
      COUNT("t23"."t_day") AS "n_tx_days"
    FROM (
      SELECT
        "t16"."platform",
        "t16"."shop_id",
        "t16"."sku_id",
        "t16"."observed_at",
        "t16"."observed_us",
        "t16"."price_fen",
        "t16"."strike_fen",
        "t16"."strike_label",
        "t16"."start_day",
        "t22"."t_platform",
        "t22"."t_shop_id",
        "t22"."t_sku_id",
        "t22"."t_day",
        "t22"."t_min"
      FROM (
        SELECT
          "t11"."platform",
          "t11"."shop_id",
          "t11"."sku_id",
          "t11"."observed_at",
          "t11"."observed_us",
          "t11"."price_fen",
          "t11"."strike_fen",
          "t11"."strike_label",
          "t11"."day" AS "start_day"
        FROM (
          SELECT
            "t7"."seq",
            "t7"."platform",
            "t7"."shop_id",
            "t7"."sku_id",
            "t7"."series_hash",
            "t7"."observed_at",
            "t7"."observed_us",
            "t7"."observed_min",
            "t7"."day",
            "t7"."price_fen",
            "t7"."strike_fen",
            "t7"."strike_label",
            "t7"."promo_label",
            "t7"."promo_start_day",
            "t7"."promo_end_day",
            "t7"."surface",
            "t7"."title",
            LAG("t7"."strike_fen") OVER (
              PARTITION BY "t7"."platform", "t7"."shop_id", "t7"."sku_id"
              ORDER BY "t7"."observed_us" ASC
              ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
            ) AS "prev_strike",
            LAG("t7"."strike_label") OVER (
              PARTITION BY "t7"."platform", "t7"."shop_id", "t7"."sku_id"
              ORDER BY "t7"."observed_us" ASC
              ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
            ) AS "prev_label"
          FROM (
            SELECT
              *
            FROM "t5" AS "t6"
            WHERE
              "t6"."surface" = 'detail'
          ) AS "t7"
        ) AS "t11"
        WHERE
          "t11"."strike_fen" IS NOT NULL
          AND (
            (
              "t11"."prev_strike" IS NULL
            )
            OR (
              "t11"."prev_strike" <> "t11"."strike_fen"
            )
            OR (
              "t11"."prev_label" <> "t11"."strike_label"
            )
          )
          AND "t11"."strike_label" = ''
      ) AS "t16"
      LEFT OUTER JOIN (
        SELECT
          "t18"."platform" AS "t_platform",
          "t18"."shop_id" AS "t_shop_id",
          "t18"."sku_id" AS "t_sku_id",
          "t18"."day" AS "t_day",
          "t18"."min_fen" AS "t_min"
        FROM "t17" AS "t18"
      ) AS "t22"
        ON "t16"."platform" = "t22"."t_platform"
        AND "t16"."shop_id" = "t22"."t_shop_id"
        AND "t16"."sku_id" = "t22"."t_sku_id"
        AND "t22"."t_day" < "t16"."start_day"
    ) AS "t23"
    GROUP BY
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      9
  ) AS "t25"
  LEFT OUTER JOIN (
    SELECT
      "t18"."platform" AS "l_platform",
      "t18"."shop_id" AS "l_shop_id",
      "t18"."sku_id" AS "l_sku_id",
      "t18"."day" AS "l_day",
      "t18"."last_fen"
    FROM "t17" AS "t18"
  ) AS "t21"
    ON "t25"."platform" = "t21"."l_platform"
    AND "t25"."shop_id" = "t21"."l_shop_id"
    AND "t25"."sku_id" = "t21"."l_sku_id"
    AND "t25"."last_day" = "t21"."l_day"
) AS "t26"
WHERE
  (
    (
      "t26"."low7_fen" IS NOT NULL
    )
    AND (
      (
        "t26"."strike_fen" - "t26"."low7_fen"
      ) > 0
    )
  )
  OR (
    (
      "t26"."low7_fen" IS NULL
    )
    AND (
      "t26"."last_fen" IS NOT NULL
    )
    AND (
      (
        "t26"."strike_fen" - "t26"."last_fen"
      ) > 0
    )
  )
