"""What the Telegram bot keeps of a user in Redis (bots.persistence: their unfinished draft and
where they are in a conversation), removed when their identity is erased."""

from __future__ import annotations

import json
from collections.abc import Iterable

import redis

from lapor.infra import redis_keys


def forget_users(client: redis.Redis, user_ids: Iterable[int]) -> int:
    """Remove these Telegram users' drafts, conversation states and flood counters; how many
    entries went. A bot already running keeps its copy in memory until it restarts."""
    ids = {int(user_id) for user_id in user_ids}
    if not ids:
        return 0
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
