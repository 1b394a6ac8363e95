"""The login form's layout: a form of two short fields, not a full-width strip."""

from __future__ import annotations

from typing import Any


def _form_block(node: Any, form_id: str) -> Any:
    """The block of the ``st.form`` called ``form_id`` in an AppTest element tree (or None)."""
    proto = getattr(node, "proto", None)
    is_form = proto is not None and type(node).__name__ == "Block" and proto.HasField("form")
    if is_form and proto.form.form_id == form_id:
        return node
    for child in getattr(node, "children", {}).values():
        found = _form_block(child, form_id)
        if found is not None:
            return found
    return None


def test_the_login_form_is_narrow_not_the_pages_full_width(new_app) -> None:
    """Before: the form stretched over the whole page (about 1,000 px on a laptop)."""
    at = new_app().run()
    block = _form_block(at._tree, "spendlens_login")
    assert block is not None
    width = block.proto.width_config
    assert width.WhichOneof("width_spec") == "pixel_width"
    assert 320 <= width.pixel_width <= 480
