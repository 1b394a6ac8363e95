"""Admin: find users, change roles, disable or enable, issue password resets, confirm deletions."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard.app.resources import get_cache, get_settings, get_store
from dashboard.auth import accounts, data_rights
from dashboard.core.identity import ROLES
from dashboard.ui.signed_in import signed_in_user

settings = get_settings()
store, cache = get_store(settings), get_cache(settings)
admin = signed_in_user()

st.title("Users")
text = st.text_input("Search by username, name or email", key="admin_user_search")
users = accounts.search_users(store, admin, text)
if not users:
    st.info("No user matches. Try part of a username or an email domain.")
    st.stop()

table = pl.DataFrame(
    {
        "username": [u["username"] for u in users],
        "name": [u.get("name", "") for u in users],
        "email": [u.get("email") or "" for u in users],
        "roles": [", ".join(u.get("roles") or []) for u in users],
        "disabled": [bool(u.get("disabled")) for u in users],
    }
)
picked = st.dataframe(
    table, key="admin_user_table", on_select="rerun", selection_mode="single-row", hide_index=True
)
rows = picked.selection.rows if picked else []
if not rows:
    st.caption(f"{len(users)} users shown. Select one to manage it.")
else:
    target = users[rows[0]]
    st.subheader(target["username"])
    roles = st.multiselect("Roles", ROLES, default=target.get("roles") or [], key="admin_roles")
    c1, c2, c3 = st.columns(3)
    try:
        if c1.button("Save roles", key="admin_save_roles"):
            accounts.set_roles(store, admin, target["_id"], roles)
            st.success("Roles saved; they apply on the user's next page load.")
        label = "Enable account" if target.get("disabled") else "Disable account"
        if c2.button(label, key="admin_toggle_disabled"):
            accounts.set_disabled(store, admin, target["_id"], disabled=not target.get("disabled"))
            cache.invalidate("global")
            st.rerun()
        if c3.button("Issue temporary password", key="admin_issue_password"):
            password = accounts.issue_temporary_password(store, admin, target["_id"])
            st.warning("Give this password to the user now; it is shown only once:")
            st.code(password, language=None)
    except (accounts.AccountError, PermissionError) as exc:
        st.error(str(exc))

st.divider()
st.subheader("Deletion requests")
pending = data_rights.pending_deletions(store, admin)
if not pending:
    st.caption("No pending deletion requests.")
for request in pending:
    cols = st.columns([3, 1])
    cols[0].write(
        f"**{request['username']}** asked on {request['deletionRequestedAt']:%Y-%m-%d %H:%M} UTC"
    )
    if cols[1].button("Delete account", key=f"admin_delete_{request['_id']}", type="primary"):
        counts = data_rights.confirm_deletion(store, cache, admin, request["_id"])
        st.success(f"Deleted {request['username']}: {counts}")
