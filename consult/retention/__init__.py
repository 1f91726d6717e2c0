"""Retention (保存期限): what is past its time is removed by the daily job ``retention.purge``
(``flask retention purge``). The periods are settings: RETAIN_CLOSED_ACCOUNT_DAYS,
RETAIN_RECEPTION_RECORD_DAYS, RETAIN_PAPER_PHOTO_DAYS (consult/config.py)."""
