"""Test entry script for the "beyond the blog" pages (mirrors streamlit_app.py's routing)."""

import streamlit as st

from explorer.session import choose_model

# A test opens a page with query parameters by naming it here before the first run (AppTest has no URL).
start = st.session_state.get("start_page", "in-use")
PAGES = {
    "Beyond the blog": [
        st.Page("../app_pages/directions_in_use.py", title="Directions in use", icon=":material/insights:",
                url_path="in-use", default=start == "in-use"),
        st.Page("../app_pages/compose.py", title="Compose", icon=":material/piano:", url_path="compose",
                default=start == "compose"),
        st.Page("../app_pages/fewer_directions.py", title="Fewer directions", icon=":material/compress:",
                url_path="fewer", default=start == "fewer"),
        st.Page("../app_pages/compare.py", title="Compare models", icon=":material/compare_arrows:",
                url_path="compare", default=start == "compare"),
    ],
}

page = st.navigation(PAGES)
choose_model()
page.run()
