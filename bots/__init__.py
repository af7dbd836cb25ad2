"""The Telegram bot of Lapor (python-telegram-bot)."""
