"""Errors the domain raises; each carries a stable code and a message in Bahasa Indonesia."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldProblem:
    """What is wrong with one input field."""

    code: str
    message: str
    params: dict[str, object] = field(default_factory=dict)


class DomainError(Exception):
    """A request the domain refuses; the message is fit to show to the person who asked."""

    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None, **params: object) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.params = params


class ValidationFailed(DomainError):
    """Input that breaks a field rule; `fields` says which and why."""

    code = "validation_failed"

    def __init__(self, fields: dict[str, FieldProblem]) -> None:
        super().__init__("Data yang dikirim belum benar. Periksa isian yang ditandai.")
        self.fields = fields


class InvalidTransition(DomainError):
    """An action that the complaint's current status does not allow."""

    code = "invalid_transition"


class IdempotencyConflict(DomainError):
    """An idempotency key reused for a different submission."""

    code = "idempotency_conflict"


class NotFound(DomainError):
    """A referenced thing (complaint, agency) that does not exist."""

    code = "not_found"
