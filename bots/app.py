"""The Telegram bot: file a complaint in a conversation, follow it, answer the OPD, rate it.

Handlers only talk to the chat; the blocking database and model work is in bots.service and
runs off the event loop (asyncio.to_thread).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import warnings

from redis import asyncio as aioredis
from redis.exceptions import RedisError
from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bots import service, texts
from bots.persistence import RedisPersistence
from lapor.domain.errors import DomainError, ValidationFailed
from lapor.domain.feedback import MIN_REASON
from lapor.domain.files import MAX_FILE_BYTES, MAX_FILES
from lapor.domain.intake import MAX_TEXT, MIN_TEXT, Upload
from lapor.domain.timefmt import utcnow
from lapor.infra import broker, redis_keys
from lapor.infra.region import registry_for
from lapor.infra.settings import Settings

log = logging.getLogger(__name__)

TEXT, PLACE, FILES, ANONYMOUS, CONFIDENTIAL, CONFIRM = range(6)
ACCEPTED_DOCUMENTS = {"image/jpeg", "image/png", "image/webp", "application/pdf"}
FLOOD_LIMIT = 20  # updates per user per window
FLOOD_WINDOW_SECONDS = 60
CODE_IN_TEXT = re.compile(r"\b([A-HJ-NP-Z2-9]{5})-([A-HJ-NP-Z2-9]{5})\b")
MB = MAX_FILE_BYTES // (1024 * 1024)


def file_url(api_url: str) -> str:
    """The file download base that goes with a Bot API base (…/bot → …/file/bot)."""
    base = api_url.rstrip("/")
    if base.endswith("/bot"):
        return base[: -len("/bot")] + "/file/bot"
    return base + "/file/bot"


def settings_of(context: ContextTypes.DEFAULT_TYPE) -> Settings:
    return context.application.bot_data["settings"]


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    await update.effective_chat.send_message(text, reply_markup=markup)


# --- filing ---------------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    region = registry_for(settings_of(context).region).region_name
    await reply(update, texts.WELCOME.format(region=region))
    return await new_draft(update, context)


async def new_draft(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    # The update that started the draft names it: confirming twice files it once.
    context.user_data["draft"] = {"id": update.update_id, "files": [], "step": "text"}
    await reply(update, texts.ASK_TEXT.format(min=MIN_TEXT))
    return TEXT


async def got_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    text = (update.message.text or "").strip()
    if len(text) < MIN_TEXT:
        await reply(update, texts.TEXT_TOO_SHORT.format(min=MIN_TEXT))
        return TEXT
    if len(text) > MAX_TEXT:
        await reply(update, texts.TEXT_TOO_LONG.format(max=MAX_TEXT))
        return TEXT
    draft(context).update(text=text, step="place")
    await reply(update, texts.ASK_PLACE)
    return PLACE


async def got_location(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    location = update.message.location
    draft(context).update(lat=location.latitude, lon=location.longitude)
    return await ask_files(update, context)


async def got_place_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    settings = settings_of(context)
    try:
        regency, district = await asyncio.to_thread(
            service.place_from_text, settings, update.message.text
        )
    except DomainError as error:
        await reply(update, error.message)
        return PLACE
    draft(context).update(regency=regency, district=district)
    return await ask_files(update, context)


async def skip_place(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    return await ask_files(update, context)


async def ask_files(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    draft(context)["step"] = "files"
    await reply(update, texts.ASK_FILES.format(max=MAX_FILES, mb=MB))
    return FILES


async def got_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    files = draft(context)["files"]
    if len(files) >= MAX_FILES:
        await reply(update, texts.FILES_FULL.format(max=MAX_FILES))
        return FILES
    message = update.message
    if message.photo:
        photo = message.photo[-1]  # the largest size Telegram made
        entry = {"file_id": photo.file_id, "name": f"foto-{photo.file_unique_id}.jpg"}
        size = photo.file_size
    else:
        document = message.document
        if document.mime_type not in ACCEPTED_DOCUMENTS:
            await reply(update, texts.FILE_BAD_TYPE)
            return FILES
        entry = {"file_id": document.file_id, "name": document.file_name or "berkas"}
        size = document.file_size
    if size is not None and size > MAX_FILE_BYTES:
        await reply(update, texts.FILE_TOO_LARGE.format(mb=MB))
        return FILES
    files.append(entry)
    await reply(update, texts.FILE_RECEIVED.format(count=len(files), max=MAX_FILES))
    return FILES


async def files_done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    draft(context)["step"] = "choice"
    await reply(update, texts.ASK_ANONYMOUS, yes_no("anon"))
    return ANONYMOUS


async def chose_anonymous(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    query = update.callback_query
    await query.answer()
    draft(context)["anonymous"] = query.data == "anon:1"
    await reply(update, texts.ASK_CONFIDENTIAL, yes_no("secret"))
    return CONFIDENTIAL


async def chose_confidential(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    query = update.callback_query
    await query.answer()
    current = draft(context)
    current["confidential"] = query.data == "secret:1"
    place = ", ".join(p for p in (current.get("district"), current.get("regency")) if p)
    if not place and current.get("lat") is not None:
        place = f"titik {current['lat']:.5f}, {current['lon']:.5f}"
    summary = texts.SUMMARY.format(
        text=current["text"],
        place=place or "-",
        files=len(current["files"]),
        anonymous=texts.YES if current.get("anonymous") else texts.NO,
        confidential=texts.YES if current["confidential"] else texts.NO,
    )
    buttons = [
        InlineKeyboardButton(texts.SEND, callback_data=f"confirm:send:{current['id']}"),
        InlineKeyboardButton(texts.CANCEL, callback_data="confirm:cancel"),
    ]
    await reply(update, summary, InlineKeyboardMarkup([buttons]))
    return CONFIRM


async def confirmed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    query = update.callback_query
    await query.answer()
    current = draft(context)
    if not query.data.endswith(f":{current['id']}"):
        await reply(update, texts.DRAFT_GONE)
        return CONFIRM
    uploads = [await download(context, entry) for entry in current["files"]]
    user = update.effective_user
    sender = service.TelegramUser(user.id, update.effective_chat.id, user.full_name)
    try:
        receipt = await asyncio.to_thread(
            service.file_draft, settings_of(context), current, sender, uploads, utcnow()
        )
    except ValidationFailed as failed:
        await reply(update, "\n".join(p.message for p in failed.fields.values()))
        return CONFIRM
    context.user_data.pop("draft", None)
    context.user_data["sent"] = {str(current["id"]): receipt.code}
    await query.edit_message_reply_markup(None)
    await reply(
        update,
        texts.SENT.format(
            code=receipt.code,
            agency=receipt.agency or texts.VERIFYING,
            deadline=receipt.next_deadline,
        )
        + (texts.PRIVATE_LINK.format(link=receipt.private_link) if receipt.private_link else ""),
    )
    return ConversationHandler.END


async def download(context: ContextTypes.DEFAULT_TYPE, entry: dict) -> Upload:
    telegram_file = await context.bot.get_file(entry["file_id"])
    return Upload(entry["name"], bytes(await telegram_file.download_as_bytearray()))


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    if update.callback_query:
        await update.callback_query.answer()
    context.user_data.pop("draft", None)
    await reply(update, texts.CANCELLED)
    return ConversationHandler.END


def hint(step: str):
    async def say(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query:
            await update.callback_query.answer()
        await reply(update, texts.IN_FILING[step])

    return say


def draft(context: ContextTypes.DEFAULT_TYPE) -> dict:
    return context.user_data.setdefault("draft", {"id": 0, "files": [], "step": "text"})


def yes_no(prefix: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(texts.YES, callback_data=f"{prefix}:1"),
                InlineKeyboardButton(texts.NO, callback_data=f"{prefix}:0"),
            ]
        ]
    )


def filing_conversation() -> ConversationHandler:
    files = filters.PHOTO | filters.Document.ALL
    with warnings.catch_warnings():
        # PTB warns that with per_message=False a button press is matched by chat and user,
        # not by message: that is what is meant here (the buttons belong to the current step).
        warnings.simplefilter("ignore", PTBUserWarning)
        return _filing_conversation(files)


def _filing_conversation(files) -> ConversationHandler:
    return ConversationHandler(
        entry_points=[CommandHandler("start", start), CommandHandler("lapor", new_draft)],
        states={
            TEXT: [MessageHandler(filters.TEXT & ~filters.COMMAND, got_text)],
            PLACE: [
                MessageHandler(filters.LOCATION, got_location),
                MessageHandler(filters.TEXT & ~filters.COMMAND, got_place_text),
                CommandHandler("lewati", skip_place),
            ],
            FILES: [
                MessageHandler(files, got_file),
                CommandHandler(["selesai", "lewati"], files_done),
            ],
            ANONYMOUS: [CallbackQueryHandler(chose_anonymous, pattern=r"^anon:[01]$")],
            CONFIDENTIAL: [CallbackQueryHandler(chose_confidential, pattern=r"^secret:[01]$")],
            CONFIRM: [
                CallbackQueryHandler(confirmed, pattern=r"^confirm:send:"),
                CallbackQueryHandler(cancel, pattern=r"^confirm:cancel$"),
            ],
        },
        fallbacks=[
            CommandHandler("batal", cancel),
            CommandHandler("lapor", new_draft),
            MessageHandler(filters.ALL, hint_for_state),
            CallbackQueryHandler(hint("choice")),
        ],
        name="filing",
        persistent=True,
        allow_reentry=True,
    )


async def hint_for_state(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Something the current step cannot take: say what it needs."""
    await reply(update, texts.IN_FILING[draft(context).get("step", "text")])


# --- following, answering, rating ------------------------------------------------------


async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    settings = settings_of(context)
    if context.args:
        try:
            text = await asyncio.to_thread(
                service.status_text, settings, context.args[0], update.effective_user.id
            )
        except DomainError as error:
            text = error.message
        await reply(update, text)
        return
    lines = await asyncio.to_thread(service.my_complaints, settings, update.effective_user.id)
    await reply(
        update,
        texts.YOUR_COMPLAINTS.format(lines="\n".join(lines)) if lines else texts.NO_COMPLAINTS,
    )


async def answer_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A reply to the bot's message that carries a tracking code: the reporter's answer."""
    replied = update.message.reply_to_message
    found = CODE_IN_TEXT.search(replied.text or "") if replied else None
    if found is None:
        await reply(update, texts.HINT)
        return
    code = found.group(0)
    # A reply to the bot's "why is it not resolved?" is a reopening; any other, an answer.
    reopens = texts.REOPEN_MARK in (replied.text or "").split("\n", 1)[0]
    command = service.reopen if reopens else service.answer_info
    try:
        shown = await asyncio.to_thread(
            command,
            settings_of(context),
            code,
            update.effective_user.id,
            update.message.text,
            utcnow(),
        )
    except ValidationFailed as failed:
        await reply(update, "\n".join(p.message for p in failed.fields.values()))
        return
    except DomainError as error:
        await reply(update, error.message)
        return
    done = texts.REOPENED if reopens else texts.INFO_THANKS
    await reply(update, done.format(code=shown or code))


async def rating(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer()
    _, code, value = query.data.split(":")
    try:
        await asyncio.to_thread(
            service.rate, settings_of(context), code, update.effective_user.id, int(value), utcnow()
        )
    except DomainError as error:
        await reply(update, error.message)
        return
    await query.edit_message_reply_markup(None)
    await reply(update, texts.RATE_THANKS.format(rating=value, code=code))


async def reopening(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """'Belum selesai': ask what is still wrong; the reply to that question reopens it."""
    query = update.callback_query
    await query.answer()
    code = query.data.split(":")[1]
    await update.effective_chat.send_message(
        texts.REOPEN_ASK.format(code=code, min=MIN_REASON), reply_markup=ForceReply()
    )


async def stale_confirmation(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A second tap on 'Kirim' after the complaint was filed: say so, file nothing."""
    query = update.callback_query
    await query.answer()
    draft_id = query.data.rsplit(":", 1)[-1]
    code = (context.user_data.get("sent") or {}).get(draft_id)
    await reply(update, texts.ALREADY_SENT.format(code=code) if code else texts.DRAFT_GONE)


async def cancel_nothing(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await reply(update, texts.NOTHING_TO_CANCEL)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await reply(update, texts.UNKNOWN_COMMAND)


async def anything_else(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.callback_query:
        await update.callback_query.answer()
    if update.effective_chat:
        await reply(update, texts.HINT)


# --- guards ----------------------------------------------------------------------------


async def limit_flood(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """At most FLOOD_LIMIT updates per user in a minute counted from their first one (in Redis,
    shared by every bot process); the first one over gets a friendly reply, the rest are dropped."""
    user = update.effective_user
    if user is None:
        return
    count = await count_flood(context.application.bot_data["redis"], user.id)
    if count is not None and count > FLOOD_LIMIT:
        if count == FLOOD_LIMIT + 1 and update.effective_chat:
            await reply(update, texts.FLOOD)
        raise ApplicationHandlerStop


async def count_flood(redis: aioredis.Redis, user_id: int) -> int | None:
    """This update's number in the user's current window; None when Redis is unavailable."""
    # The window opens at the user's first update rather than on the clock's minute: a burst
    # that straddles a minute boundary is then still one burst, not two half-bursts that each
    # stay under the limit. SET NX EX and INCR in one transaction, so no key lives forever.
    key = redis_keys.bot_flood(user_id)
    try:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.set(key, 0, ex=FLOOD_WINDOW_SECONDS, nx=True)
            pipe.incr(key)
            _, count = await pipe.execute()
    except RedisError as error:
        log.warning("flood counter unavailable: %s", error)
        return None
    return count


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("bot update failed", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat:
        try:
            await update.effective_chat.send_message(texts.ERROR)
        except TelegramError as error:
            log.error("could not tell the user about the failure: %s", error)


# --- the application -------------------------------------------------------------------


def build_application(settings: Settings) -> Application:
    """The bot with every handler, talking to the Bot API the settings name."""
    if not settings.telegram_bot_token:
        raise RuntimeError("TELEGRAM_BOT_TOKEN is not set")
    redis_url = broker.redis_url(settings)
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_url)
        .base_file_url(file_url(settings.telegram_api_url))
        .persistence(RedisPersistence(redis_url))
        .build()
    )
    application.bot_data["settings"] = settings
    application.bot_data["redis"] = aioredis.Redis.from_url(redis_url)
    application.add_handler(TypeHandler(Update, limit_flood), group=-1)
    application.add_handler(filing_conversation())
    application.add_handler(CommandHandler("status", status))
    application.add_handler(CommandHandler(["bantuan", "help"], start_help))
    application.add_handler(CommandHandler("batal", cancel_nothing))
    application.add_handler(CallbackQueryHandler(rating, pattern=r"^rate:[A-Z0-9-]+:[1-5]$"))
    application.add_handler(CallbackQueryHandler(reopening, pattern=r"^reopen:[A-Z0-9-]+$"))
    application.add_handler(CallbackQueryHandler(stale_confirmation, pattern=r"^confirm:"))
    application.add_handler(MessageHandler(filters.REPLY & filters.TEXT, answer_question))
    application.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(filters.ALL, anything_else))
    application.add_handler(CallbackQueryHandler(anything_else))
    application.add_error_handler(on_error)
    return application


async def start_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    region = registry_for(settings_of(context).region).region_name
    await reply(update, texts.WELCOME.format(region=region))


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram sends with each webhook call, derived from the app's secret key."""
    return hashlib.sha256(f"telegram-webhook:{settings.secret_key}".encode()).hexdigest()[:48]


def main() -> None:
    """`python -m bots`: long polling, or a webhook when LAPOR_TELEGRAM_WEBHOOK_URL is set."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # httpx logs each request's URL at INFO, and every Bot API URL holds the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = Settings.from_env()
    if not settings.telegram_bot_token:
        raise SystemExit("TELEGRAM_BOT_TOKEN belum diatur: bot tidak dijalankan.")
    application = build_application(settings)
    if settings.telegram_webhook_url:
        application.run_webhook(
            listen=settings.telegram_webhook_listen,
            port=settings.telegram_webhook_port,
            url_path="telegram",
            webhook_url=settings.telegram_webhook_url,
            secret_token=webhook_secret(settings),
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
