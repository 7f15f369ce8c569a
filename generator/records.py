"""Pickling the build's frozen dataclasses as (class, field values): about twice as fast both ways.

Pages, links and diagnostics cross process boundaries (worker pools), go into the parse cache and into
the build state. Python pickles a slotted dataclass through copyreg, attribute by attribute; a class
decorated here pickles as one tuple and is rebuilt by its own __init__.
"""

from __future__ import annotations

import dataclasses
import operator


def compact_pickle(cls):
    """Class decorator (put it above @dataclass): pickle instances as cls(*field values)."""
    names = tuple(field.name for field in dataclasses.fields(cls))
    values = operator.attrgetter(*names)
    if len(names) == 1:
        def reduce(self):
            return cls, (values(self),)
    else:
        def reduce(self):
            return cls, values(self)
    cls.__reduce__ = reduce
    return cls
