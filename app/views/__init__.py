"""One script per page of the app, run by `st.navigation` in main.py. (Not named `pages/`:
Streamlit would serve that folder as a legacy multipage app until main.py first runs.)"""
