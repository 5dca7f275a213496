"""One typed, frozen configuration for every repair.

Every fixer has a switch here, named after the fixer.  `FixConfig` is immutable;
make variants with :func:`dataclasses.replace` or with keyword shortcuts to
:func:`zhfix.fix_text`, e.g. ``fix_text(s, restore_punctuation=False)``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal, get_args

#: Target script for the final OpenCC conversion.
#:
#: - ``"keep"``: no conversion (default);
#: - ``"simplified"``: OpenCC ``t2s`` (臺風 → 台风);
#: - ``"traditional"``: OpenCC ``s2t`` (台风 → 颱風);
#: - ``"taiwan"``: OpenCC ``s2twp``, Taiwan standard with Taiwanese phrases (软件 → 軟體);
#: - ``"hongkong"``: OpenCC ``s2hk``, Hong Kong standard (台风 → 颱風);
#: - ``"original"``: undo machine conversion: traditional text that was converted
#:   from simplified one character at a time (臺風, 頭发) goes back to simplified
#:   through OpenCC ``t2s``; genuine traditional and simplified text stay as they
#:   are (see :mod:`zhfix.machine`).
Script = Literal["keep", "simplified", "traditional", "taiwan", "hongkong", "original"]
SCRIPTS: tuple[str, ...] = get_args(Script)


@dataclass(frozen=True)
class FixConfig:
    """What zhfix repairs, and how.

    >>> FixConfig().script
    'keep'
    >>> FixConfig(script="simplified").fix_annotations
    True
    """

    #: Repair CJK mojibake: spans decoded with the wrong codec, one or two layers
    #: deep (``鏂囦欢涓婁紶鎴愬姛`` → ``文件上传成功``), including lossy endings.
    fix_mojibake: bool = True

    #: Repair Latin-family mojibake (``â€™`` → ``’``) through ftfy, keeping CJK
    #: punctuation and quotes as they are.
    fix_latin_mojibake: bool = True

    #: Decode escaped bytes that stand for Chinese text: Python bytes reprs
    #: (``\\xe6\\x96\\x87``), git's octal-quoted paths, pager escapes (``<E6><96><87>``).
    #: Off by default: such escapes are legitimate in code and logs.
    decode_escapes: bool = False

    #: Resynchronise double-byte streams that were read one byte off
    #: (``計劃??Q句話說`` → ``計劃。換句話說``).
    fix_resync: bool = True

    #: Remove pinyin / zhuyin annotations that leaked into running text
    #: (``還是義(yì)無反顧`` → ``還是義無反顧``, ``花huā朵duǒ`` → ``花朵``).
    fix_annotations: bool = True

    #: Restore fullwidth punctuation flattened by NFKC in Han context
    #: (``你好,世界`` → ``你好，世界``) in paragraphs that show NFKC flattening.
    restore_punctuation: bool = True

    #: Convert the script through OpenCC after all repairs; see :data:`Script`.
    script: Script = "keep"

    #: How often the repair loop may run over the text before it stops even if
    #: the text still changes.  Each fixer is idempotent on its own output, so two
    #: rounds are normally enough; the bound guards against oscillation.
    max_rounds: int = 4

    def __post_init__(self) -> None:
        if self.script not in SCRIPTS:
            raise ValueError(
                f"script must be one of {', '.join(SCRIPTS)}; got {self.script!r}"
            )
        if self.max_rounds < 1:
            raise ValueError(f"max_rounds must be at least 1; got {self.max_rounds!r}")

    @classmethod
    def switches(cls) -> tuple[str, ...]:
        """The names of the boolean switches, one per repair."""
        return tuple(f.name for f in dataclasses.fields(cls) if f.type in ("bool", bool))

    @classmethod
    def only(cls, *switches: str, **options: Any) -> FixConfig:
        """A config with every repair off except ``switches``.

        >>> cfg = FixConfig.only("fix_annotations")
        >>> cfg.fix_annotations, cfg.fix_mojibake, cfg.restore_punctuation
        (True, False, False)
        """
        unknown = set(switches) - set(cls.switches())
        if unknown:
            raise TypeError(f"unknown zhfix switch {sorted(unknown)[0]!r}")
        off: dict[str, Any] = {name: name in switches for name in cls.switches()}
        return cls(**off).with_options(**options)

    def with_options(self, **options: Any) -> FixConfig:
        """Return a copy with some options changed; unknown names raise TypeError.

        >>> FixConfig().with_options(script="traditional").script
        'traditional'
        >>> FixConfig().with_options(colour="blue")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        TypeError: unknown zhfix option 'colour'; known options: ...
        """
        if not options:
            return self
        known = [f.name for f in dataclasses.fields(self)]
        for name in options:
            if name not in known:
                raise TypeError(
                    f"unknown zhfix option {name!r}; known options: {', '.join(known)}"
                )
        return dataclasses.replace(self, **options)


DEFAULT_CONFIG = FixConfig()
