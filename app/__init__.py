"""The ecosim Streamlit app: `streamlit run app/main.py` (or `make app`, `ecosim app`)."""
