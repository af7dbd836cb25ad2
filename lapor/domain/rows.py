"""Building new row objects without an attribute event per column."""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from sqlalchemy.orm import ClassManager, configure_mappers
from sqlalchemy.orm.instrumentation import manager_of_class
from sqlmodel import SQLModel

Row = TypeVar("Row", bound=SQLModel)


def new_row(cls: type[Row], **values: Any) -> Row:
    """A new, transient `cls(**values)`, built the cheap way.

    SQLModel's constructor sets every field through pydantic's and SQLAlchemy's __setattr__
    (an attribute event each, some 100 for a new complaint's rows); a transient object needs
    none of them, so its columns go straight into its __dict__. Relationships (a new event's
    complaint, say) are still set through SQLAlchemy, which cascades them into the session.
    """
    columns, relationships, defaults = _layout(cls)
    unknown = values.keys() - columns - relationships
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {', '.join(sorted(unknown))}")
    instance = _manager(cls).new_instance()
    data = {name: value for name, value in values.items() if name in columns}
    for name, field in defaults:
        if name not in data:
            data[name] = field.get_default(call_default_factory=True)
    instance.__dict__.update(data)
    object.__setattr__(instance, "__pydantic_fields_set__", set(values.keys() & columns))
    for name in values.keys() & relationships:
        setattr(instance, name, values[name])
    return instance


@cache
def _manager(cls: type[SQLModel]) -> ClassManager:
    # The constructor configures the mappers on first use; new_instance() does not, and a
    # relationship of an unconfigured mapper cannot be set yet.
    configure_mappers()
    return manager_of_class(cls)


@cache
def _layout(cls: type[SQLModel]) -> tuple[frozenset, frozenset, tuple]:
    """The class's column fields, its relationships, and the fields that have a default."""
    fields = cls.model_fields
    relationships = frozenset(cls.__sqlmodel_relationships__)
    defaults = tuple((name, field) for name, field in fields.items() if not field.is_required())
    return frozenset(fields), relationships, defaults
