"""English versions of the messages the domain and the API give in Bahasa Indonesia.

Indonesian is the first language: every message is written in Indonesian where it arises.
A client that asks for English (Accept-Language: en), and a page shown in English (field
errors, refusals), gets the text below, chosen by the message's stable code: the domain's
messages carry their facts in their parameters, so one English text serves every field.
"""

from __future__ import annotations

from collections.abc import Mapping

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

# Where the code alone would say too little to a person at a form.
ENGLISH_BY_FIELD = {
    ("email", "invalid"): "Not a valid email address.",
    ("phone", "invalid"): "Not a valid phone number (e.g. 0812 3456 7890).",
    ("lat", "invalid"): "The location's latitude and longitude must be numbers.",
    ("rating", "out_of_range"): "Choose a rating from 1 to 5.",
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
    # What staff and reporters are refused on the pages.
    "not_the_reporter": "Only the reporter can do this: open the complaint with your private link.",
    "note_required": "A note is required for this action.",
    "note_too_long": "The note is too long.",
    "agency_required": "Choose an agency (OPD).",
    "agency_not_allowed": "That agency is inactive or not one of the region's own.",
    "same_agency": "The complaint is already with that agency; choose another one.",
    "reason_required": "Choose why the complaint is archived.",
    "forward_target_required": "Name the body the complaint is forwarded to.",
    "duplicate_of_required": "Give the code of the complaint this one repeats.",
    "codes_required": "Select at least one complaint.",
    "too_many": "Too many complaints at once.",
    "action_required": "Choose an action first.",
    "unknown_action": "Unknown action.",
    "unknown_agency": "Unknown agency (OPD).",
    "inactive_agency": "That agency is inactive.",
    "unknown_user": "No such user, or the account is inactive.",
    "invalid_username": "Not a valid username.",
    "username_taken": "That username is already taken.",
    "invalid_role": "Unknown role.",
    "own_role": "You cannot take away your own admin role.",
    "own_account": "You cannot deactivate your own account.",
    "not_locked": "That account is not locked.",
    "wrong_password": "The current password is wrong. Nothing was changed.",
    "weak_password": "The new password is too short.",
    "same_password": "The new password must differ from the current one.",
    "link_invalid": "This link is not valid. Ask for a new one below.",
    "link_expired": "This link has expired. Ask for a new one below.",
    "unknown_successor": "Unknown successor agency.",
    "invalid_successor": "The successor must be another active agency of the region.",
}


def field_message(problem: FieldProblem, language: str, field: str | None = None) -> str:
    """A field's problem in the language: English by the field and its code, else by the code."""
    if language == "en" and (field, problem.code) in ENGLISH_BY_FIELD:
        return ENGLISH_BY_FIELD[field, problem.code]
    if language == "en" and problem.code in ENGLISH_FIELDS:
        try:
            return ENGLISH_FIELDS[problem.code].format(**problem.params)
        except KeyError:
            return ENGLISH_FIELDS[problem.code]
    return problem.message


def field_messages(problems: Mapping[str, FieldProblem], language: str) -> dict[str, str]:
    """Each field's problem, in the language (a form's errors under its fields)."""
    return {name: field_message(problem, language, name) for name, problem in problems.items()}


def error_message(code: str, indonesian: str, language: str) -> str:
    if language == "en":
        return ENGLISH_ERRORS.get(code, indonesian)
    return indonesian


def domain_error_message(error: DomainError, language: str) -> str:
    return error_message(error.code, error.message, language)
