"""Optional sign-in for a deployed instance: Streamlit's built-in OIDC (st.login), only when configured.

Without a secrets file the app runs open (localhost), exactly as before. A secrets file that exists but cannot
be read stops the app rather than silently dropping the sign-in.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitAuthError

from ui.i18n import t
from ui.strings import STRINGS


def require_sign_in() -> None:
    """Stop the run with a sign-in screen until the user has signed in, when [auth] is configured."""
    try:
        auth_configured = "auth" in st.secrets
    except FileNotFoundError:  # StreamlitSecretNotFoundError: no secrets file, or one that cannot be parsed
        if any(Path(p).exists() for p in st.get_option("secrets.files")):
            st.error(f"{t('auth.secrets_unreadable')}\n\n{STRINGS['auth.secrets_unreadable']['en']}")
            st.stop()
        auth_configured = False
    if auth_configured:
        # st.user.is_logged_in, read so that a missing flag counts as signed out (st.user only sets it when it sees the
        # [auth] section itself, which a test harness's secrets may not reach)
        if not st.user.get("is_logged_in", False):
            # the language switch lives behind the sign-in, so this screen speaks both languages
            both = {k: STRINGS[k] for k in ("auth.title", "auth.prompt", "auth.login")}
            st.title(f"{both['auth.title']['ja']} / {both['auth.title']['en']}")
            st.write(both["auth.prompt"]["ja"])
            st.caption(both["auth.prompt"]["en"])
            if st.button(f"{both['auth.login']['ja']} / {both['auth.login']['en']}", type="primary", icon=":material/login:", key="auth.login"):
                try:
                    st.login()
                except StreamlitAuthError as exc:  # Authlib missing or an incomplete [auth] section: say so
                    st.error(t("auth.error", msg=exc))
            st.stop()
        with st.sidebar:
            st.caption(t("auth.signed_in", user=st.user.get("name") or st.user.get("email") or ""))
            st.button(t("auth.logout"), on_click=st.logout, icon=":material/logout:", key="auth.logout")
