"""Activating the accounts of owners imported from the roster (账号激活, 入户通知书).

A secretary issues one-time codes for the owners of a scope who have no password yet; each code
reaches its owner on a printed letter or, where a sender exists, by SMS or e-mail. The owner
types it (or follows the letter's link), chooses a password and is in, verified to the homes the
roster says they own.
"""
