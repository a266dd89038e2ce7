WITH "t3" AS (
  SELECT
    "t1"."platform",
    "t1"."shop_id",
    "t1"."sku_id",
    "t1"."day",
    "t1"."paid_us",
    "t1"."price_fen"
  FROM "price_transactions" AS "t1"
), "t14" AS (
  SELECT
    "t12"."platform",
    "t12"."shop_id",
    "t12"."sku_id",
    "t12"."day",
    MAX("t12"."price_fen") AS "last_fen",
    MAX("t12"."min_fen") AS "min_fen"
  FROM (
    SELECT
      "t6"."platform",
      "t6"."shop_id",
      "t6"."sku_id",
      "t6"."day",
      "t6"."paid_us",
      "t6"."price_fen",
      "t10"."min_fen",
      "t10"."last_us"
    FROM "t3" AS "t6"
    INNER JOIN (
      SELECT
        "t5"."platform",
        "t5"."shop_id",
        "t5"."sku_id",
        "t5"."day",
        MIN("t5"."price_fen") AS "min_fen",
        MAX("t5"."paid_us") AS "last_us"
      FROM "t3" AS "t5"
      GROUP BY
        1,
        2,
        3,
        4
    ) AS "t10"
      ON "t6"."platform" = "t10"."platform"
      AND "t6"."shop_id" = "t10"."shop_id"
      AND "t6"."sku_id" = "t10"."sku_id"
      AND "t6"."day" = "t10"."day"
      AND "t6"."paid_us" = "t10"."last_us"
  ) AS "t12"
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
  'transactions' AS "evidence",
  CASE
    WHEN "t26"."low7_fen" IS NOT NULL
    THEN '' || '涉嫌虚构原价：自 ' || CAST("t26"."start_day" AS TEXT) || ' 起标示的被比较价格 ¥' || CAST(CAST(CAST("t26"."strike_fen" AS DECIMAL(20, 2)) * CAST(0.01 AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS TEXT) || ' 高于比较前七日（' || CAST(CAST(CAST("t26"."start_day" - INTERVAL '7' DAY AS TIMESTAMP) AS DATE) AS TEXT) || ' 至 ' || CAST(CAST(CAST("t26"."start_day" - INTERVAL '1' DAY AS TIMESTAMP) AS DATE) AS TEXT) || '）内的最低' || '成交价' || ' ¥' || CAST(CAST(CAST("t26"."low7_fen" AS DECIMAL(20, 2)) * CAST(0.01 AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS TEXT) || '。'
    ELSE '' || '涉嫌虚构原价：自 ' || CAST("t26"."start_day" AS TEXT) || ' 起标示的被比较价格 ¥' || CAST(CAST(CAST("t26"."strike_fen" AS DECIMAL(20, 2)) * CAST(0.01 AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS TEXT) || ' 高于比较前最后一次' || '成交价' || ' ¥' || CAST(CAST(CAST("t26"."last_fen" AS DECIMAL(20, 2)) * CAST(0.01 AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS TEXT) || '（' || CAST("t26"."last_day" AS TEXT) || '；前七日 ' || CAST(CAST(CAST("t26"."start_day" - INTERVAL '7' DAY AS TIMESTAMP) AS DATE) AS TEXT) || ' 至 ' || CAST(CAST(CAST("t26"."start_day" - INTERVAL '1' DAY AS TIMESTAMP) AS DATE) AS TEXT) || ' 内无' || '成交' || '）。'
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
    "t19"."last_fen"
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
        "t22"."platform",
        "t22"."shop_id",
        "t22"."sku_id",
        "t22"."observed_at",
        "t22"."observed_us",
        "t22"."price_fen",
        "t22"."strike_fen",
        "t22"."strike_label",
        "t22"."start_day",
        "t20"."t_platform",
        "t20"."t_shop_id",
        "t20"."t_sku_id",
        "t20"."t_day",
        "t20"."t_min"
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
          "t16"."day" AS "start_day"
        FROM (
          SELECT
            "t13"."seq",
            "t13"."platform",
            "t13"."shop_id",
            "t13"."sku_id",
            "t13"."series_hash",
            "t13"."observed_at",
            "t13"."observed_us",
            "t13"."observed_min",
            "t13"."day",
            "t13"."price_fen",
            "t13"."strike_fen",
            "t13"."strike_label",
            "t13"."promo_label",
            "t13"."promo_start_day",
            "t13"."promo_end_day",
            "t13"."surface",
            "t13"."title",
            LAG("t13"."strike_fen") OVER (
              PARTITION BY "t13"."platform", "t13"."shop_id", "t13"."sku_id"
              ORDER BY "t13"."observed_us" ASC
              ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
            ) AS "prev_strike",
            LAG("t13"."strike_label") OVER (
              PARTITION BY "t13"."platform", "t13"."shop_id", "t13"."sku_id"
              ORDER BY "t13"."observed_us" ASC
              ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
            ) AS "prev_label"
          FROM (
            SELECT
              *
            FROM (
              SELECT
                "t2"."seq",
                "t2"."platform",
                "t2"."shop_id",
                "t2"."sku_id",
                "t2"."series_hash",
                "t2"."observed_at",
                "t2"."observed_us",
                "t2"."observed_min",
                "t2"."day",
                "t2"."price_fen",
                "t2"."strike_fen",
                "t2"."strike_label",
                "t2"."promo_label",
                "t2"."promo_start_day",
                "t2"."promo_end_day",
                "t2"."surface",
                "t2"."title"
              FROM "price_observations" AS "t2"
              INNER JOIN (
                SELECT
                  "t4"."keep_seq" AS "seq"
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
                ) AS "t4"
              ) AS "t8"
                ON "t2"."seq" = "t8"."seq"
            ) AS "t11"
            WHERE
              "t11"."surface" = 'detail'
          ) AS "t13"
        ) AS "t16"
        WHERE
          "t16"."strike_fen" IS NOT NULL
          AND (
            (
              "t16"."prev_strike" IS NULL
            )
            OR (
              "t16"."prev_strike" <> "t16"."strike_fen"
            )
            OR (
              "t16"."prev_label" <> "t16"."strike_label"
            )
          )
          AND "t16"."strike_label" = ''
      ) AS "t22"
      LEFT OUTER JOIN (
        SELECT
          "t15"."platform" AS "t_platform",
          "t15"."shop_id" AS "t_shop_id",
          "t15"."sku_id" AS "t_sku_id",
          "t15"."day" AS "t_day",
          "t15"."min_fen" AS "t_min"
        FROM "t14" AS "t15"
      ) AS "t20"
        ON "t22"."platform" = "t20"."t_platform"
        AND "t22"."shop_id" = "t20"."t_shop_id"
        AND "t22"."sku_id" = "t20"."t_sku_id"
        AND "t20"."t_day" < "t22"."start_day"
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
      "t15"."platform" AS "l_platform",
      "t15"."shop_id" AS "l_shop_id",
      "t15"."sku_id" AS "l_sku_id",
      "t15"."day" AS "l_day",
      "t15"."last_fen"
    FROM "t14" AS "t15"
  ) AS "t19"
    ON "t25"."platform" = "t19"."l_platform"
    AND "t25"."shop_id" = "t19"."l_shop_id"
    AND "t25"."sku_id" = "t19"."l_sku_id"
    AND "t25"."last_day" = "t19"."l_day"
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
