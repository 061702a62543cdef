"""Copilot's word splitting of a string command or entrypoint, which ecsp follows (ecsp.shellwords)."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecsp import shellwords


@pytest.mark.parametrize(("text", "words"), [
    ("npm run start", ["npm", "run", "start"]),
    ("  spaced \t out\n", ["spaced", "out"]),
    ("sh -c 'echo $HOME; ls'", ["sh", "-c", "echo $HOME; ls"]),
    ('nginx -g "daemon off;"', ["nginx", "-g", "daemon off;"]),
    ('say "a \\"quoted\\" word"', ["say", 'a "quoted" word']),
    # Inside double quotes a backslash makes any next character literal (Python's shlex keeps it before 'n').
    ('"a\\nb"', ["anb"]),
    ("one\\ word", ["one word"]),
    ("glued'single'\"double\"", ["gluedsingledouble"]),
    ('"" \'\'', ["", ""]),
    # '#' starts a comment only at the start of a word, up to the end of its line.
    ("run #not this\nbut this", ["run", "but", "this"]),
    ("issue#12 is a word", ["issue#12", "is", "a", "word"]),
    ("", []),
    # The example of the library Copilot uses (github.com/google/shlex), with its documented words.
    ('one two "three four" "five \\"six\\"" seven#eight # nine # ten\n eleven \'twelve\\\' thirteen=13 fourteen/14',
     ["one", "two", "three four", 'five "six"', "seven#eight", "eleven", "twelve\\", "thirteen=13", "fourteen/14"]),
])
def test_words_as_copilot_splits_them(text: str, words: list[str]) -> None:
    assert shellwords.split(text) == words


@pytest.mark.parametrize(("text", "problem"), [
    ("echo 'unclosed", "a quote is not closed"),
    ('echo "unclosed', "a quote is not closed"),
    ('echo "ends in an escape\\', "a quote is not closed"),
    ("echo trailing\\", "it ends with a backslash, which escapes nothing"),
])
def test_what_copilot_refuses_is_refused(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        shellwords.split(text)


@given(st.lists(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12),
                max_size=6))
def test_words_a_shell_would_quote_come_back_whole(words: list[str]) -> None:
    # shlex.join quotes each word for a POSIX shell ('...' and '"'"'), which both splitters read alike.
    assert shellwords.split(shlex.join(words)) == words
