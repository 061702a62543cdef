"""A string split into words the way Copilot splits a string ``command:`` or ``entrypoint:``.

Copilot splits them with github.com/google/shlex, and ``ecsp import copilot`` and ecsp's own
string form of ``command``/``entrypoint`` must give the same words. Its rules: words end at
spaces, tabs and line breaks; ``'...'`` keeps everything literally; ``"..."`` keeps everything,
a backslash making the next character literal (any character); a backslash outside quotes
does the same; a ``#`` that starts a word starts a comment to the end of the line (inside a
word it is a character). Python's :func:`shlex.split` differs on the last two: inside double
quotes it keeps a backslash before most characters, and it has no comments by default.
"""

from __future__ import annotations

_SPACE = " \t\r\n"


def split(text: str) -> list[str]:
    """The words of ``text``; :class:`ValueError` for an unclosed quote or a trailing backslash, as Copilot."""
    words: list[str] = []
    word: list[str] = []
    # between, word, escape (after \), single ('...'), double ("..."), double-escape (after \ in "..."), comment
    state = "between"
    for char in text:
        if state == "comment":
            state = "between" if char == "\n" else state
        elif state in ("escape", "double-escape"):
            word.append(char)
            state = "word" if state == "escape" else "double"
        elif state == "single":
            if char == "'":
                state = "word"
            else:
                word.append(char)
        elif state == "double":
            if char == '"':
                state = "word"
            elif char == "\\":
                state = "double-escape"
            else:
                word.append(char)
        elif char in _SPACE:
            if state == "word":
                words.append("".join(word))
                word = []
            state = "between"
        elif char == "#" and state == "between":
            state = "comment"
        elif char == "'":
            state = "single"
        elif char == '"':
            state = "double"
        elif char == "\\":
            state = "escape"
        else:
            word.append(char)
            state = "word"
    if state in ("single", "double", "double-escape"):
        raise ValueError("a quote is not closed")
    if state == "escape":
        raise ValueError("it ends with a backslash, which escapes nothing")
    if state == "word":
        words.append("".join(word))
    return words
