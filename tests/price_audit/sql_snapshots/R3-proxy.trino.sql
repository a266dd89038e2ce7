WITH "t6" AS (
  SELECT
    *
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
)
SELECT
  'R3' AS "rule_id",
  '《明码标价和禁止价格欺诈规定》第十七条第一款' AS "article",
  "t23"."platform",
  "t23"."shop_id",
  "t23"."sku_id",
  "t23"."start_day" AS "episode_start",
  "t23"."observed_at",
  CAST(CAST("t23"."strike_fen" AS DECIMAL(20, 2)) * CAST('0.01' AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS "strike_price",
  CAST(CAST("t23"."price_fen" AS DECIMAL(20, 2)) * CAST('0.01' AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS "price",
  CAST(CAST("t23"."median_fen" AS DECIMAL(20, 2)) * CAST('0.01' AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS "baseline_price",
  CAST(CAST("t23"."start_day" - INTERVAL '74' DAY AS TIMESTAMP) AS DATE) AS "window_start",
  CAST(CAST("t23"."start_day" - INTERVAL '15' DAY AS TIMESTAMP) AS DATE) AS "window_end",
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
                          CONCAT(
                            CONCAT(
                              CONCAT(
                                CONCAT(
                                  CONCAT(CONCAT(CONCAT('', '涉嫌先涨后降：自 '), CAST("t23"."start_day" AS VARCHAR)), ' 起以 ¥'),
                                  CAST(CAST(CAST("t23"."strike_fen" AS DECIMAL(20, 2)) * CAST('0.01' AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS VARCHAR)
                                ),
                                ' 作为被比较价格，较 '
                              ),
                              CAST(CAST(CAST("t23"."start_day" - INTERVAL '74' DAY AS TIMESTAMP) AS DATE) AS VARCHAR)
                            ),
                            ' 至 '
                          ),
                          CAST(CAST(CAST("t23"."start_day" - INTERVAL '15' DAY AS TIMESTAMP) AS DATE) AS VARCHAR)
                        ),
                        ' 标示价格的中位数 ¥'
                      ),
                      CAST(CAST(CAST("t23"."median_fen" AS DECIMAL(20, 2)) * CAST('0.01' AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS VARCHAR)
                    ),
                    ' 高出不少于 '
                  ),
                  '10%'
                ),
                '，且 '
              ),
              CAST(CAST(CAST("t23"."start_day" - INTERVAL '14' DAY AS TIMESTAMP) AS DATE) AS VARCHAR)
            ),
            ' 至 '
          ),
          CAST(CAST(CAST("t23"."start_day" - INTERVAL '1' DAY AS TIMESTAMP) AS DATE) AS VARCHAR)
        ),
        ' 期间标示价格最高达 ¥'
      ),
      CAST(CAST(CAST("t23"."raise_max" AS DECIMAL(20, 2)) * CAST('0.01' AS DECIMAL(20, 2)) AS DECIMAL(18, 2)) AS VARCHAR)
    ),
    '。'
  ) AS "detail_zh"
FROM (
  SELECT
    "t13"."platform",
    "t13"."shop_id",
    "t13"."sku_id",
    "t13"."observed_at",
    "t13"."observed_us",
    "t13"."price_fen",
    "t13"."strike_fen",
    "t13"."strike_label",
    "t13"."start_day",
    "t22"."m_platform",
    "t22"."m_shop_id",
    "t22"."m_sku_id",
    "t22"."m_us",
    "t22"."median_fen",
    "t19"."r_platform",
    "t19"."r_shop_id",
    "t19"."r_sku_id",
    "t19"."r_us",
    "t19"."raise_max"
  FROM (
    SELECT
      "t9"."platform",
      "t9"."shop_id",
      "t9"."sku_id",
      "t9"."observed_at",
      "t9"."observed_us",
      "t9"."price_fen",
      "t9"."strike_fen",
      "t9"."strike_label",
      "t9"."day" AS "start_day"
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
        ) AS "prev_strike",
        LAG("t7"."strike_label") OVER (
          PARTITION BY "t7"."platform", "t7"."shop_id", "t7"."sku_id"
          ORDER BY "t7"."observed_us" ASC
        ) AS "prev_label"
      FROM "t6" AS "t7"
    ) AS "t9"
    WHERE
      "t9"."strike_fen" IS NOT NULL
      AND (
        (
          "t9"."prev_strike" IS NULL
        )
        OR (
          "t9"."prev_strike" <> "t9"."strike_fen"
        )
        OR (
          "t9"."prev_label" <> "t9"."strike_label"
        )
      )
  ) AS "t13"
  INNER JOIN (
    SELECT
      "t20"."platform" AS "m_platform",
      "t20"."shop_id" AS "m_shop_id",
      "t20"."sku_id" AS "m_sku_id",
      "t20"."observed_us" AS "m_us",
      CAST(FLOOR(CAST((
        "t20"."lower" + "t20"."upper" + 1
      ) AS DOUBLE) / (
        2
      )) AS BIGINT) AS "median_fen"
    FROM (
      SELECT
        "t18"."platform",
        "t18"."shop_id",
        "t18"."sku_id",
        "t18"."observed_us",
        MAX("t18"."s_fen") FILTER(WHERE
          (
            (
              "t18"."pos" * 2
            ) = (
              "t18"."n" - 1
            )
          )
          OR (
            (
              "t18"."pos" * 2
            ) = (
              "t18"."n" - 2
            )
          )) AS "lower",
        MAX("t18"."s_fen") FILTER(WHERE
          (
            (
              "t18"."pos" * 2
            ) = (
              "t18"."n" - 1
            )
          )
          OR (
            (
              "t18"."pos" * 2
            ) = "t18"."n"
          )) AS "upper"
      FROM (
        SELECT
          "t15"."platform",
          "t15"."shop_id",
          "t15"."sku_id",
          "t15"."observed_at",
          "t15"."observed_us",
          "t15"."price_fen",
          "t15"."strike_fen",
          "t15"."strike_label",
          "t15"."start_day",
          "t15"."s_platform",
          "t15"."s_shop_id",
          "t15"."s_sku_id",
          "t15"."s_day",
          "t15"."s_fen",
          ROW_NUMBER() OVER (
            PARTITION BY "t15"."platform", "t15"."shop_id", "t15"."sku_id", "t15"."observed_us"
            ORDER BY "t15"."s_fen" ASC
          ) - 1 AS "pos",
          COUNT("t15"."s_fen") OVER (
            PARTITION BY "t15"."platform", "t15"."shop_id", "t15"."sku_id", "t15"."observed_us"
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
          ) AS "n"
        FROM (
          SELECT
            "t13"."platform",
            "t13"."shop_id",
            "t13"."sku_id",
            "t13"."observed_at",
            "t13"."observed_us",
            "t13"."price_fen",
            "t13"."strike_fen",
            "t13"."strike_label",
            "t13"."start_day",
            "t11"."s_platform",
            "t11"."s_shop_id",
            "t11"."s_sku_id",
            "t11"."s_day",
            "t11"."s_fen"
          FROM (
            SELECT
              "t9"."platform",
              "t9"."shop_id",
              "t9"."sku_id",
              "t9"."observed_at",
              "t9"."observed_us",
              "t9"."price_fen",
              "t9"."strike_fen",
              "t9"."strike_label",
              "t9"."day" AS "start_day"
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
                ) AS "prev_strike",
                LAG("t7"."strike_label") OVER (
                  PARTITION BY "t7"."platform", "t7"."shop_id", "t7"."sku_id"
                  ORDER BY "t7"."observed_us" ASC
                ) AS "prev_label"
              FROM "t6" AS "t7"
            ) AS "t9"
            WHERE
              "t9"."strike_fen" IS NOT NULL
              AND (
                (
                  "t9"."prev_strike" IS NULL
                )
                OR (
                  "t9"."prev_strike" <> "t9"."strike_fen"
                )
                OR (
                  "t9"."prev_label" <> "t9"."strike_label"
                )
              )
          ) AS "t13"
          INNER JOIN (
            SELECT
              "t8"."platform" AS "s_platform",
              "t8"."shop_id" AS "s_shop_id",
              "t8"."sku_id" AS "s_sku_id",
              "t8"."day" AS "s_day",
              "t8"."shown_fen" AS "s_fen"
            FROM (
              SELECT
                "t7"."platform",
                "t7"."shop_id",
                "t7"."sku_id",
                "t7"."day",
                MAX_BY("t7"."price_fen", "t7"."observed_us") AS "shown_fen"
              FROM "t6" AS "t7"
              GROUP BY
                1,
                2,
                3,
                4
            ) AS "t8"
          ) AS "t11"
            ON "t13"."platform" = "t11"."s_platform"
            AND "t13"."shop_id" = "t11"."s_shop_id"
            AND "t13"."sku_id" = "t11"."s_sku_id"
            AND "t11"."s_day" >= CAST(CAST("t13"."start_day" - INTERVAL '74' DAY AS TIMESTAMP) AS DATE)
            AND "t11"."s_day" <= CAST(CAST("t13"."start_day" - INTERVAL '15' DAY AS TIMESTAMP) AS DATE)
        ) AS "t15"
      ) AS "t18"
      GROUP BY
        1,
        2,
        3,
        4
    ) AS "t20"
  ) AS "t22"
    ON "t13"."platform" = "t22"."m_platform"
    AND "t13"."shop_id" = "t22"."m_shop_id"
    AND "t13"."sku_id" = "t22"."m_sku_id"
    AND "t13"."observed_us" = "t22"."m_us"
  INNER JOIN (
    SELECT
      "t16"."platform" AS "r_platform",
      "t16"."shop_id" AS "r_shop_id",
      "t16"."sku_id" AS "r_sku_id",
      "t16"."observed_us" AS "r_us",
      "t16"."raise_max"
    FROM (
      SELECT
        "t14"."platform",
        "t14"."shop_id",
        "t14"."sku_id",
        "t14"."observed_us",
        MAX("t14"."s_fen") AS "raise_max"
      FROM (
        SELECT
          "t13"."platform",
          "t13"."shop_id",
          "t13"."sku_id",
          "t13"."observed_at",
          "t13"."observed_us",
          "t13"."price_fen",
          "t13"."strike_fen",
          "t13"."strike_label",
          "t13"."start_day",
          "t11"."s_platform",
          "t11"."s_shop_id",
          "t11"."s_sku_id",
          "t11"."s_day",
          "t11"."s_fen"
        FROM (
          SELECT
            "t9"."platform",
            "t9"."shop_id",
            "t9"."sku_id",
            "t9"."observed_at",
            "t9"."observed_us",
            "t9"."price_fen",
            "t9"."strike_fen",
            "t9"."strike_label",
            "t9"."day" AS "start_day"
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
              ) AS "prev_strike",
              LAG("t7"."strike_label") OVER (
                PARTITION BY "t7"."platform", "t7"."shop_id", "t7"."sku_id"
                ORDER BY "t7"."observed_us" ASC
              ) AS "prev_label"
            FROM "t6" AS "t7"
          ) AS "t9"
          WHERE
            "t9"."strike_fen" IS NOT NULL
            AND (
              (
                "t9"."prev_strike" IS NULL
              )
              OR (
                "t9"."prev_strike" <> "t9"."strike_fen"
              )
              OR (
                "t9"."prev_label" <> "t9"."strike_label"
              )
            )
        ) AS "t13"
        INNER JOIN (
          SELECT
            "t8"."platform" AS "s_platform",
            "t8"."shop_id" AS "s_shop_id",
            "t8"."sku_id" AS "s_sku_id",
            "t8"."day" AS "s_day",
            "t8"."shown_fen" AS "s_fen"
          FROM (
            SELECT
              "t7"."platform",
              "t7"."shop_id",
              "t7"."sku_id",
              "t7"."day",
              MAX_BY("t7"."price_fen", "t7"."observed_us") AS "shown_fen"
            FROM "t6" AS "t7"
            GROUP BY
              1,
              2,
              3,
              4
          ) AS "t8"
        ) AS "t11"
          ON "t13"."platform" = "t11"."s_platform"
          AND "t13"."shop_id" = "t11"."s_shop_id"
          AND "t13"."sku_id" = "t11"."s_sku_id"
          AND "t11"."s_day" >= CAST(CAST("t13"."start_day" - INTERVAL '14' DAY AS TIMESTAMP) AS DATE)
          AND "t11"."s_day" <= CAST(CAST("t13"."start_day" - INTERVAL '1' DAY AS TIMESTAMP) AS DATE)
      ) AS "t14"
      GROUP BY
        1,
        2,
        3,
        4
    ) AS "t16"
  ) AS "t19"
    ON "t13"."platform" = "t19"."r_platform"
    AND "t13"."shop_id" = "t19"."r_shop_id"
    AND "t13"."sku_id" = "t19"."r_sku_id"
    AND "t13"."observed_us" = "t19"."r_us"
) AS "t23"
WHERE
  (
    "t23"."strike_fen" * 10
  ) >= (
    "t23"."median_fen" * 11
  )
  AND "t23"."raise_max" >= (
    "t23"."strike_fen" - 0
  )
