"""Admin: find users, change roles, disable or enable, issue password resets, confirm deletions."""

from __future__ import annotations

import streamlit as st

from dashboard.app.resources import get_runner
from dashboard.auth import accounts, data_rights
from dashboard.core.display import format_text, format_timestamp
from dashboard.core.identity import ROLES
from dashboard.ui.signed_in import signed_in_user
from dashboard.ui.tables import selectable_table
from dashboard.views.admin import USERS_PAGE_SIZE, deletion_requests, find_accounts

runner = get_runner()
store, cache = runner.store, runner.cache
admin = signed_in_user()

st.title("Users")
text = st.text_input("Search by username, name or email", key="admin_user_search")
found = find_accounts(
    runner, admin, text, page=st.session_state.get("admin_user_page", 1), page_size=USERS_PAGE_SIZE
)
if found.total == 0:
    st.info("No user matches. Try part of a username or an email domain.")
    st.stop()

picked = selectable_table(found.rows.drop("id"), "admin_user_table")
st.number_input("Page", min_value=1, max_value=found.pages, step=1, key="admin_user_page")
rows = picked.selection.rows if picked else []
if not rows:
    st.caption(f"{found.caption()} · page {found.page} of {found.pages}. Select one to manage it.")
else:
    target = found.rows.row(rows[0], named=True)
    st.subheader(target["username"])
    roles = st.multiselect("Roles", ROLES, default=target["roles"], key="admin_roles")
    c1, c2, c3 = st.columns(3)
    try:
        if c1.button("Save roles", key="admin_save_roles"):
            accounts.set_roles(store, admin, target["id"], roles)
            st.success("Roles saved; they apply on the user's next page load.")
        label = "Enable account" if target["disabled"] else "Disable account"
        if c2.button(label, key="admin_toggle_disabled"):
            accounts.set_disabled(
                store, admin, target["id"], disabled=not target["disabled"], cache=cache
            )
            st.rerun()
        if c3.button("Issue temporary password", key="admin_issue_password"):
            password = accounts.issue_temporary_password(store, admin, target["id"])
            st.warning("Give this password to the user now; it is shown only once:")
            st.code(password, language=None)
    except (accounts.AccountError, PermissionError) as exc:
        st.error(str(exc))

st.divider()
st.subheader("Deletion requests")
pending = deletion_requests(runner, admin)
if pending.is_empty():
    st.caption("No pending deletion requests.")
for request in pending.iter_rows(named=True):
    cols = st.columns([3, 1])
    cols[0].write(
        f"**{request['username']}** asked on {format_timestamp(request['requested_at'])} UTC"
    )
    if cols[1].button("Delete account", key=f"admin_delete_{request['id']}", type="primary"):
        counts = data_rights.confirm_deletion(store, cache, admin, request["id"])
        st.success(f"Deleted {request['username']}: {format_text(counts)}")
