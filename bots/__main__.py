"""`python -m bots`: run the Telegram bot (the Procfile's `bot` line)."""

from bots.app import main

main()
