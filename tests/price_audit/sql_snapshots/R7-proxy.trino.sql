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
), "t25" AS (
  SELECT
    *
  FROM (
    SELECT
      "t23"."seq",
      "t23"."platform",
      "t23"."shop_id",
      "t23"."sku_id",
      "t23"."series_hash",
      "t23"."observed_at",
      "t23"."observed_us",
      "t23"."observed_min",
      "t23"."day",
      "t23"."price_fen",
      "t23"."strike_fen",
      "t23"."strike_label",
      "t23"."promo_label",
      "t23"."promo_start_day",
      "t23"."promo_end_day",
      "t23"."surface",
      "t23"."title",
      "t23"."paired_fen",
      "t23"."meets",
      SUM(IF("t23"."meets", 0, 1)) OVER (
        PARTITION BY "t23"."platform", "t23"."shop_id", "t23"."sku_id"
        ORDER BY "t23"."observed_us" ASC
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS "run_no"
    FROM (
      SELECT
        "t22"."seq",
        "t22"."platform",
        "t22"."shop_id",
        "t22"."sku_id",
        "t22"."series_hash",
        "t22"."observed_at",
        "t22"."observed_us",
        "t22"."observed_min",
        "t22"."day",
        "t22"."price_fen",
        "t22"."strike_fen",
        "t22"."strike_label",
        "t22"."promo_label",
        "t22"."promo_start_day",
        "t22"."promo_end_day",
        "t22"."surface",
        "t22"."title",
        "t22"."paired_fen",
        (
          "t22"."paired_fen" IS NOT NULL
        )
        AND COALESCE((
          "t22"."price_fen" - "t22"."paired_fen"
        ) > 0, FALSE) AS "meets"
      FROM (
        SELECT
          "t12"."seq",
          "t12"."platform",
          "t12"."shop_id",
          "t12"."sku_id",
          "t12"."series_hash",
          "t12"."observed_at",
          "t12"."observed_us",
          "t12"."observed_min",
          "t12"."day",
          "t12"."price_fen",
          "t12"."strike_fen",
          "t12"."strike_label",
          "t12"."promo_label",
          "t12"."promo_start_day",
          "t12"."promo_end_day",
          "t12"."surface",
          "t12"."title",
          "t21"."paired_fen"
        FROM (
          SELECT
            *
          FROM "t5" AS "t6"
          WHERE
            "t6"."surface" = 'checkout'
        ) AS "t12"
        LEFT OUTER JOIN (
          SELECT
            "t19"."platform" AS "b_platform",
            "t19"."shop_id" AS "b_shop_id",
            "t19"."sku_id" AS "b_sku_id",
            "t19"."observed_us" AS "b_us",
            "t19"."paired_fen"
          FROM (
            SELECT
              "t18"."platform",
              "t18"."shop_id",
              "t18"."sku_id",
              "t18"."observed_us",
              MIN_BY("t18"."d_fen", "t18"."rank_key") AS "paired_fen"
            FROM (
              SELECT
                "t17"."platform",
                "t17"."shop_id",
                "t17"."sku_id",
                "t17"."observed_us",
                "t17"."pair_bucket",
                "t17"."d_platform",
                "t17"."d_shop_id",
                "t17"."d_sku_id",
                "t17"."d_us",
                "t17"."d_fen",
                "t17"."d_bucket",
                (
                  ABS("t17"."d_us" - "t17"."observed_us") * 2
                ) + IF("t17"."d_us" > "t17"."observed_us", 1, 0) AS "rank_key"
              FROM (
                SELECT
                  "t13"."platform",
                  "t13"."shop_id",
                  "t13"."sku_id",
                  "t13"."observed_us",
                  "t13"."pair_bucket",
                  "t16"."d_platform",
                  "t16"."d_shop_id",
                  "t16"."d_sku_id",
                  "t16"."d_us",
                  "t16"."d_fen",
                  "t16"."d_bucket"
                FROM (
                  SELECT
                    "t6"."platform",
                    "t6"."shop_id",
                    "t6"."sku_id",
                    "t6"."observed_us",
                    CAST(FLOOR(CAST((
                      "t6"."observed_min"
                    ) AS DOUBLE) / (
                      11
                    )) AS BIGINT) AS "pair_bucket"
                  FROM "t5" AS "t6"
                  WHERE
                    "t6"."surface" = 'checkout'
                ) AS "t13"
                INNER JOIN (
                  SELECT
                    *
                  FROM (
                    SELECT
                      "t6"."platform" AS "d_platform",
                      "t6"."shop_id" AS "d_shop_id",
                      "t6"."sku_id" AS "d_sku_id",
                      "t6"."observed_us" AS "d_us",
                      "t6"."price_fen" AS "d_fen",
                      CAST(FLOOR(CAST((
                        "t6"."observed_min"
                      ) AS DOUBLE) / (
                        11
                      )) AS BIGINT) AS "d_bucket",
                      CAST(FLOOR(CAST((
                        "t6"."observed_min"
                      ) AS DOUBLE) / (
                        11
                      )) AS BIGINT) + 1 AS "pair_bucket"
                    FROM "t5" AS "t6"
                    WHERE
                      "t6"."surface" = 'detail'
                  ) AS "t9"
                  UNION ALL
                  SELECT
                    *
                  FROM (
                    SELECT
                      *
                    FROM (
                      SELECT
                        "t6"."platform" AS "d_platform",
                        "t6"."shop_id" AS "d_shop_id",
                        "t6"."sku_id" AS "d_sku_id",
                        "t6"."observed_us" AS "d_us",
                        "t6"."price_fen" AS "d_fen",
                        CAST(FLOOR(CAST((
                          "t6"."observed_min"
                        ) AS DOUBLE) / (
                          11
                        )) AS BIGINT) AS "d_bucket",
                        CAST(FLOOR(CAST((
                          "t6"."observed_min"
                        ) AS DOUBLE) / (
                          11
                        )) AS BIGINT) + -1 AS "pair_bucket"
                      FROM "t5" AS "t6"
                      WHERE
                        "t6"."surface" = 'detail'
                    ) AS "t10"
                    UNION ALL
                    SELECT
                      *
                    FROM (
                      SELECT
                        "t6"."platform" AS "d_platform",
                        "t6"."shop_id" AS "d_shop_id",
                        "t6"."sku_id" AS "d_sku_id",
                        "t6"."observed_us" AS "d_us",
                        "t6"."price_fen" AS "d_fen",
                        CAST(FLOOR(CAST((
                          "t6"."observed_min"
                        ) AS DOUBLE) / (
                          11
                        )) AS BIGINT) AS "d_bucket",
                        CAST(FLOOR(CAST((
                          "t6"."observed_min"
                        ) AS DOUBLE) / (
                          11
                        )) AS BIGINT) + 0 AS "pair_bucket"
                      FROM "t5" AS "t6"
                      WHERE
                        "t6"."surface" = 'detail'
                    ) AS "t11"
                  ) AS "t14"
                ) AS "t16"
                  ON "t13"."platform" = "t16"."d_platform"
                  AND "t13"."shop_id" = "t16"."d_shop_id"
                  AND "t13"."sku_id" = "t16"."d_sku_id"
                  AND "t13"."pair_bucket" = "t16"."pair_bucket"
              ) AS "t17"
              WHERE
                ABS("t17"."d_us" - "t17"."observed_us") <= 600000000
            ) AS "t18"
            GROUP BY
              1,
              2,
              3,
              4
          ) AS "t19"
        ) AS "t21"
          ON "t12"."platform" = "t21"."b_platform"
          AND "t12"."shop_id" = "t21"."b_shop_id"
          AND "t12"."sku_id" = "t21"."b_sku_id"
          AND "t12"."observed_us" = "t21"."b_us"
      ) AS "t22"
    ) AS "t23"
  ) AS "t24"
  WHERE
    "t24"."meets"
)
SELECT
  'R7' AS "rule_id",
  '《明码标价和禁止价格欺诈规定》第十九条第（二）项' AS "article",
  "t30"."platform",
  "t30"."shop_id",
  "t30"."sku_id",
  "t30"."day" AS "episode_start",
  "t30"."observed_at",
  CAST(CAST("t30"."strike_fen" AS DECIMAL(20, 2)) * CAST('0.01' AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS "strike_price",
  CAST(CAST("t30"."price_fen" AS DECIMAL(20, 2)) * CAST('0.01' AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS "price",
  CAST(CAST("t30"."paired_fen" AS DECIMAL(20, 2)) * CAST('0.01' AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS "baseline_price",
  "t30"."day" AS "window_start",
  "t30"."run_last_day" AS "window_end",
  'proxy' AS "evidence",
  CONCAT(
    CONCAT(
      CONCAT(
        CONCAT(
          CONCAT(
            CONCAT(
              CONCAT(
                CONCAT(
                  CONCAT(
                    CONCAT(
                      CONCAT(
                        CONCAT(
                          CONCAT('', '涉嫌低价招徕、高价结算：结算页价 ¥'),
                          CAST(CAST(CAST("t30"."price_fen" AS DECIMAL(20, 2)) * CAST('0.01' AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS VARCHAR)
                        ),
                        ' 高于前后 '
                      ),
                      '10'
                    ),
                    ' 分钟内的详情页价 ¥'
                  ),
                  CAST(CAST(CAST("t30"."paired_fen" AS DECIMAL(20, 2)) * CAST('0.01' AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS VARCHAR)
                ),
                '（'
              ),
              CAST("t30"."day" AS VARCHAR)
            ),
            ' 至 '
          ),
          CAST("t30"."run_last_day" AS VARCHAR)
        ),
        ' 连续 '
      ),
      CAST("t30"."run_obs" AS VARCHAR)
    ),
    ' 次观测）。'
  ) AS "detail_zh"
FROM (
  SELECT
    "t27"."seq",
    "t27"."platform",
    "t27"."shop_id",
    "t27"."sku_id",
    "t27"."series_hash",
    "t27"."observed_at",
    "t27"."observed_us",
    "t27"."observed_min",
    "t27"."day",
    "t27"."price_fen",
    "t27"."strike_fen",
    "t27"."strike_label",
    "t27"."promo_label",
    "t27"."promo_start_day",
    "t27"."promo_end_day",
    "t27"."surface",
    "t27"."title",
    "t27"."paired_fen",
    "t27"."meets",
    "t29"."run_last_day",
    "t29"."run_obs"
  FROM "t25" AS "t27"
  INNER JOIN (
    SELECT
      "t26"."platform",
      "t26"."shop_id",
      "t26"."sku_id",
      "t26"."run_no",
      MIN("t26"."observed_us") AS "run_first_us",
      MAX("t26"."day") AS "run_last_day",
      COUNT(*) AS "run_obs"
    FROM "t25" AS "t26"
    GROUP BY
      1,
      2,
      3,
      4
  ) AS "t29"
    ON "t27"."platform" = "t29"."platform"
    AND "t27"."shop_id" = "t29"."shop_id"
    AND "t27"."sku_id" = "t29"."sku_id"
    AND "t27"."run_no" = "t29"."run_no"
    AND "t27"."observed_us" = "t29"."run_first_us"
) AS "t30"
