"""What an attacker or a careless paste sends, as hypothesis strategies: lone surrogates, NUL
and other control characters, integers beyond 64 bits, decimals such as 1e30, impossible
dates, very long words. The fuzzing tests send them in every API body and page form."""

from __future__ import annotations

from hypothesis import strategies as st

broken_text = st.text(
    alphabet=st.characters(categories=["Cs", "Cc"]), min_size=1, max_size=4
).flatmap(lambda bad: st.text(max_size=6).map(lambda good: f"{good}{bad}{good}"))
huge_integers = st.integers(min_value=2**63 - 1, max_value=2**80) | st.integers(
    min_value=-(2**80), max_value=-(2**31)
)
decimal_texts = st.sampled_from(
    ["1e30", "-1e30", "1e-30", "0.000000001", "NaN", "Infinity", "-0", "1_000", "12,50"]
)
date_texts = st.sampled_from(
    ["0000-01-01", "0001-01-01", "9999-12-31", "2027-02-30", "2027-13-01", "27-01-01", "today"]
)
long_words = st.integers(min_value=1_000, max_value=5_000).map(lambda n: "w" * n)
hostile_text = (
    broken_text
    | huge_integers.map(str)
    | decimal_texts
    | date_texts
    | long_words
    | st.text(max_size=30)
)
hostile_scalars = (
    hostile_text
    | huge_integers
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([1e30, -1e30, 10**30, 0, -1, True, None])
)
