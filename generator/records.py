"""Pickling the build's frozen dataclasses as (class, field values): about twice as fast both ways.

Pages, links and diagnostics cross process boundaries (worker pools), go into the parse cache and into
the build state. Python pickles a slotted dataclass through copyreg, attribute by attribute; a class
decorated here pickles as one tuple and is rebuilt by its own __init__.
"""

from __future__ import annotations

import dataclasses
import operator


def compact_pickle(cls=None, *, rebuild=None):
    """Class decorator (put it above @dataclass): pickle instances as cls(*field values), or, with `rebuild`
    (`@compact_pickle(rebuild=f)`), as f(*field values): a function that makes the instance as it likes (one
    that makes strings many instances hold alike one object each, say: sys.intern)."""
    if cls is None:
        return lambda cls: compact_pickle(cls, rebuild=rebuild)
    names = tuple(field.name for field in dataclasses.fields(cls))
    values = operator.attrgetter(*names)
    make = rebuild or cls
    if len(names) == 1:
        def reduce(self):
            return make, (values(self),)
    else:
        def reduce(self):
            return make, values(self)
    cls.__reduce__ = reduce
    return cls
