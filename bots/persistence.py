"""Conversation states and drafts in Redis (JSON, not a pickle file): a bot restarted in the
middle of a conversation carries on where the reporter was."""

from __future__ import annotations

import json

from redis import asyncio as aioredis
from telegram.ext import BasePersistence, PersistenceInput

from lapor.infra import redis_keys

# What PTB's ConversationHandler keeps per conversation: a key of chat/user ids, and a state.
# (PTB names these types only in a private module, so they are spelled out here.)
ConversationKey = tuple[int | str, ...]
ConversationDict = dict[ConversationKey, object]


class RedisPersistence(BasePersistence[dict, dict, dict]):
    """Keeps user data (the reporter's draft) and conversation states; nothing else."""

    def __init__(self, redis_url: str, update_interval: float = 1) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self.redis = aioredis.Redis.from_url(redis_url, decode_responses=True)

    async def get_user_data(self) -> dict[int, dict]:
        stored = await self.redis.hgetall(redis_keys.bot_user_data())
        return {int(user_id): json.loads(data) for user_id, data in stored.items()}

    async def update_user_data(self, user_id: int, data: dict) -> None:
        if data:
            await self.redis.hset(redis_keys.bot_user_data(), str(user_id), json.dumps(data))
        else:
            await self.redis.hdel(redis_keys.bot_user_data(), str(user_id))

    async def drop_user_data(self, user_id: int) -> None:
        await self.redis.hdel(redis_keys.bot_user_data(), str(user_id))

    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        """Drop this process's copy of a user whose identity was erased since (the only other
        writer: lapor.infra.bot_state marks them); PTB calls this before each handler."""
        if await self.redis.delete(redis_keys.bot_forgotten(user_id)):
            user_data.clear()

    async def get_conversations(self, name: str) -> ConversationDict:
        stored = await self.redis.hgetall(redis_keys.bot_conversation(name))
        return {tuple(json.loads(key)): json.loads(state) for key, state in stored.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        field = json.dumps(list(key))
        if new_state is None:
            await self.redis.hdel(redis_keys.bot_conversation(name), field)
        else:
            await self.redis.hset(redis_keys.bot_conversation(name), field, json.dumps(new_state))

    async def flush(self) -> None:
        await self.redis.aclose()

    # Chat data, bot data and callback data are not kept (store_data says so).
    async def get_chat_data(self) -> dict[int, dict]:
        return {}

    async def get_bot_data(self) -> dict:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        """Not kept."""

    async def update_bot_data(self, data: dict) -> None:
        """Not kept."""

    async def update_callback_data(self, data: object) -> None:
        """Not kept."""

    async def drop_chat_data(self, chat_id: int) -> None:
        """Not kept."""

    async def refresh_chat_data(self, chat_id: int, chat_data: dict) -> None:
        """Not kept."""

    async def refresh_bot_data(self, bot_data: dict) -> None:
        """Not kept."""
