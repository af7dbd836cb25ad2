"""What the Telegram bot keeps of a user in Redis (bots.persistence: their unfinished draft and
where they are in a conversation), removed when their identity is erased; a mark tells a bot
that is running to drop its copy in memory too."""

from __future__ import annotations

import json
from collections.abc import Iterable

import redis

from lapor.infra import redis_keys

# A mark outlives any bot process that could still hold the user's data in memory.
FORGOTTEN_MARK_SECONDS = 365 * 24 * 3600


def forget_users(client: redis.Redis, user_ids: Iterable[int]) -> int:
    """Remove these Telegram users' drafts, conversation states and flood counters, and mark
    them so that a bot already running drops its copy when they next write (how many entries
    went)."""
    ids = {int(user_id) for user_id in user_ids}
    if not ids:
        return 0
    for user_id in ids:
        client.set(redis_keys.bot_forgotten(user_id), 1, ex=FORGOTTEN_MARK_SECONDS)
    removed = client.hdel(redis_keys.bot_user_data(), *(str(user_id) for user_id in ids))
    for key in client.scan_iter(match=redis_keys.bot_conversation("*")):
        theirs = [field for field in client.hkeys(key) if ids & _ids_in(field)]
        if theirs:
            removed += client.hdel(key, *theirs)
    removed += client.delete(*(redis_keys.bot_flood(user_id) for user_id in ids))
    return removed


def _ids_in(field: bytes | str) -> set[int]:
    """The chat and user ids of a conversation's key (a JSON list, bots.persistence)."""
    try:
        parts = json.loads(field)
    except ValueError:
        return set()  # not a key the bot wrote
    return {part for part in parts if isinstance(part, int)} if isinstance(parts, list) else set()
