"""English versions of the messages the domain and the API give in Bahasa Indonesia.

Indonesian is the first language: every message is written in Indonesian where it arises.
A client that asks for English (Accept-Language: en) gets the text below, chosen by the
message's stable code.
"""

from __future__ import annotations

from lapor.domain.errors import DomainError, FieldProblem

ENGLISH_FIELDS = {
    "too_short": "Must be at least {min} characters.",
    "too_long": "Must be at most {max} characters.",
    "required": "This field is required.",
    "unknown": "Not a known place in this region.",
    "invalid": "Not a valid value.",
    "out_of_range": "Out of range.",
    "too_many": "At most {max} files.",
    "too_large": "A file is larger than allowed.",
    "empty": "A file is empty.",
    "bad_type": "Only photos (JPEG, PNG, WebP) or PDF documents are accepted.",
    "not_a_string": "Must be a string.",
    "not_a_boolean": "Must be true or false.",
    "not_a_number": "Must be a number.",
    "not_an_object": "Must be an object.",
    "not_a_list": "Must be a list.",
    "bad_image": "A file is not a complete image of the kind it claims to be.",
}

ENGLISH_ERRORS = {
    "validation_failed": "Some fields are not valid. Check the fields listed.",
    "invalid_json": "The request body must be a JSON object.",
    "not_found": "Not found.",
    "idempotency_conflict": "This idempotency key was already used for a different complaint.",
    "invalid_transition": "This action is not possible in the complaint's current status.",
    "rate_limited": "Too many requests. Please wait a moment and try again.",
    "method_not_allowed": "Method not allowed.",
    "too_large": "The request is too large.",
    "bad_request": "The request could not be understood.",
    "unavailable": "The service is temporarily unavailable. Please try again shortly.",
    "reporter_key_invalid": "Only the reporter can do this: send the reporter key you were given"
    " when you filed (X-Reporter-Key), or open your private link.",
    "not_resolved": "Only a resolved complaint can be rated.",
    "reopen_expired": "The time to reopen this complaint has passed.",
    "not_waiting": "This complaint is not waiting for information from you.",
}


def field_message(problem: FieldProblem, language: str) -> str:
    if language == "en" and problem.code in ENGLISH_FIELDS:
        try:
            return ENGLISH_FIELDS[problem.code].format(**problem.params)
        except KeyError:
            return ENGLISH_FIELDS[problem.code]
    return problem.message


def error_message(code: str, indonesian: str, language: str) -> str:
    if language == "en":
        return ENGLISH_ERRORS.get(code, indonesian)
    return indonesian


def domain_error_message(error: DomainError, language: str) -> str:
    return error_message(error.code, error.message, language)
