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
), "t19" AS (
  SELECT
    *
  FROM (
    SELECT
      "t11"."seq",
      "t11"."platform",
      "t11"."shop_id",
      "t11"."sku_id",
      "t11"."series_hash",
      "t11"."observed_at",
      "t11"."observed_us",
      "t11"."observed_min",
      "t11"."day",
      "t11"."price_fen",
      "t11"."strike_fen",
      "t11"."strike_label",
      "t11"."promo_label",
      "t11"."promo_start_day",
      "t11"."promo_end_day",
      "t11"."surface",
      "t11"."title",
      "t17"."low_fen"
    FROM (
      SELECT
        *
      FROM "t5" AS "t6"
      WHERE
        "t6"."surface" = 'detail'
        AND (
          CONTAINS("t6"."promo_label", '限时')
          OR CONTAINS("t6"."promo_label", '秒杀')
          OR CONTAINS("t6"."promo_label", '倒计时')
        )
        AND "t6"."promo_start_day" IS NOT NULL
        AND "t6"."promo_end_day" IS NOT NULL
        AND "t6"."day" > CAST(CAST("t6"."promo_end_day" + INTERVAL '1' DAY AS TIMESTAMP) AS DATE)
    ) AS "t11"
    INNER JOIN (
      SELECT
        "t15"."platform",
        "t15"."shop_id",
        "t15"."sku_id",
        "t15"."promo_label",
        "t15"."promo_start_day",
        "t15"."promo_end_day",
        MIN("t15"."s_fen") AS "low_fen"
      FROM (
        SELECT
          "t12"."platform",
          "t12"."shop_id",
          "t12"."sku_id",
          "t12"."promo_label",
          "t12"."promo_start_day",
          "t12"."promo_end_day",
          "t14"."s_platform",
          "t14"."s_shop_id",
          "t14"."s_sku_id",
          "t14"."s_day",
          "t14"."s_fen"
        FROM (
          SELECT DISTINCT
            "t6"."platform",
            "t6"."shop_id",
            "t6"."sku_id",
            "t6"."promo_label",
            "t6"."promo_start_day",
            "t6"."promo_end_day"
          FROM "t5" AS "t6"
          WHERE
            "t6"."surface" = 'detail'
            AND (
              CONTAINS("t6"."promo_label", '限时')
              OR CONTAINS("t6"."promo_label", '秒杀')
              OR CONTAINS("t6"."promo_label", '倒计时')
            )
            AND "t6"."promo_start_day" IS NOT NULL
            AND "t6"."promo_end_day" IS NOT NULL
            AND "t6"."day" > CAST(CAST("t6"."promo_end_day" + INTERVAL '1' DAY AS TIMESTAMP) AS DATE)
        ) AS "t12"
        INNER JOIN (
          SELECT
            "t10"."platform" AS "s_platform",
            "t10"."shop_id" AS "s_shop_id",
            "t10"."sku_id" AS "s_sku_id",
            "t10"."day" AS "s_day",
            "t10"."shown_fen" AS "s_fen"
          FROM (
            SELECT
              "t7"."platform",
              "t7"."shop_id",
              "t7"."sku_id",
              "t7"."day",
              FIRST("t7"."price_fen" ORDER BY "t7"."observed_us" DESC) AS "shown_fen"
            FROM (
              SELECT
                *
              FROM "t5" AS "t6"
              WHERE
                "t6"."surface" = 'detail'
            ) AS "t7"
            GROUP BY
              1,
              2,
              3,
              4
          ) AS "t10"
        ) AS "t14"
          ON "t12"."platform" = "t14"."s_platform"
          AND "t12"."shop_id" = "t14"."s_shop_id"
          AND "t12"."sku_id" = "t14"."s_sku_id"
          AND "t14"."s_day" >= "t12"."promo_start_day"
          AND "t14"."s_day" <= "t12"."promo_end_day"
      ) AS "t15"
      GROUP BY
        1,
        2,
        3,
        4,
        5,
        6
    ) AS "t17"
      ON "t11"."platform" = "t17"."platform"
      AND "t11"."shop_id" = "t17"."shop_id"
      AND "t11"."sku_id" = "t17"."sku_id"
      AND "t11"."promo_label" = "t17"."promo_label"
      AND "t11"."promo_start_day" = "t17"."promo_start_day"
      AND "t11"."promo_end_day" = "t17"."promo_end_day"
  ) AS "t18"
  WHERE
    "t18"."price_fen" <= "t18"."low_fen"
)
SELECT
  'R5' AS "rule_id",
  '《明码标价和禁止价格欺诈规定》第十九条第（三）项' AS "article",
  "t21"."platform",
  "t21"."shop_id",
  "t21"."sku_id",
  "t21"."day" AS "episode_start",
  "t21"."observed_at",
  CAST(CAST("t21"."strike_fen" AS DECIMAL(20, 2)) * CAST(0.01 AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS "strike_price",
  CAST(CAST("t21"."price_fen" AS DECIMAL(20, 2)) * CAST(0.01 AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS "price",
  CAST(CAST("t21"."low_fen" AS DECIMAL(20, 2)) * CAST(0.01 AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS "baseline_price",
  "t21"."promo_start_day" AS "window_start",
  "t21"."promo_end_day" AS "window_end",
  'proxy' AS "evidence",
  '' || '涉嫌虚假限时促销：「' || "t21"."promo_label" || '」标明的促销期为 ' || CAST("t21"."promo_start_day" AS TEXT) || ' 至 ' || CAST("t21"."promo_end_day" AS TEXT) || '，但 ' || CAST("t21"."day" AS TEXT) || '（期满逾 ' || '1' || ' 天）仍以 ¥' || CAST(CAST(CAST("t21"."price_fen" AS DECIMAL(20, 2)) * CAST(0.01 AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS TEXT) || ' 销售，不高于促销期内最低标示价格 ¥' || CAST(CAST(CAST("t21"."low_fen" AS DECIMAL(20, 2)) * CAST(0.01 AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS TEXT) || '。' AS "detail_zh"
FROM "t19" AS "t21"
INNER JOIN (
  SELECT
    "t20"."platform",
    "t20"."shop_id",
    "t20"."sku_id",
    "t20"."promo_label",
    "t20"."promo_start_day",
    "t20"."promo_end_day",
    MIN("t20"."observed_us") AS "first_us"
  FROM "t19" AS "t20"
  GROUP BY
    1,
    2,
    3,
    4,
    5,
    6
) AS "t23"
  ON "t21"."platform" = "t23"."platform"
  AND "t21"."shop_id" = "t23"."shop_id"
  AND "t21"."sku_id" = "t23"."sku_id"
  AND "t21"."promo_label" = "t23"."promo_label"
  AND "t21"."promo_start_day" = "t23"."promo_start_day"
  AND "t21"."promo_end_day" = "t23"."promo_end_day"
  AND "t21"."observed_us" = "t23"."first_us"
