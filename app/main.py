"""The ecosim web app: one page per task, for planners who never touch YAML.

Start it with ``make app`` (or ``ecosim app``, or ``streamlit run app/main.py`` from the
repository root).
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
# `streamlit run` puts app/ on sys.path, not the repository root the pages import from.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PAGE_STATE_PREFIXES = ("explore.", "compare.", "curves.", "results.", "model.")
# Widgets whose value Streamlit does not let code set: file uploaders, buttons (whose keys
# start with "btn.", outside these prefixes).
UNSETTABLE_KEYS = {"explore.upload", "compare.upload", "model.facts_run"}

st.set_page_config(page_title="ecosim", page_icon=":material/storefront:", layout="wide")
# Streamlit forgets a widget's value when its page is not shown; assigning each page's
# widget values to themselves here, before any page runs, keeps the levers a planner set
# on Explore while they look at Compare.
for key in list(st.session_state.keys()):
    if isinstance(key, str) and key.startswith(PAGE_STATE_PREFIXES) and key not in UNSETTABLE_KEYS:
        st.session_state[key] = st.session_state[key]
PAGES = [
    st.Page("views/explore.py", title="Explore", icon=":material/tune:", default=True),
    st.Page("views/compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page("views/curves.py", title="Response curves", icon=":material/show_chart:"),
    st.Page("views/results.py", title="Results", icon=":material/folder_open:"),
    st.Page("views/model.py", title="Model", icon=":material/menu_book:"),
]
st.navigation(PAGES, position="top").run()
