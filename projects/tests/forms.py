"""Read a rendered HTML form the way a browser would submit it, so tests edit what staff actually see."""

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside = form_id, False
        self.data = {}
        self._select = self._textarea = None
        self._selected = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        if not self.inside or "name" not in attrs and tag != "option":
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self._add(attrs["name"], attrs.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "textarea":
            self._textarea, self._text = attrs["name"], ""
        elif tag == "select":
            self._select, self._selected = attrs["name"], []
        elif tag == "option" and self._select and "selected" in attrs:
            self._selected.append(attrs.get("value", ""))

    def handle_data(self, data):
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "textarea" and self._textarea:
            # Browsers drop the newline that follows <textarea>.
            self._add(self._textarea, self._text.removeprefix("\n"))
            self._textarea = None
        elif tag == "select" and self._select:
            for value in self._selected:
                self._add(self._select, value)
            self._select = None

    def _add(self, name, value):
        self.data.setdefault(name, []).append(value)


def form_fields(html, form_id):
    """{name: value or [values]} of the form with `form_id`, as a browser would post it unchanged."""
    reader = _FormReader(form_id)
    reader.feed(html if isinstance(html, str) else html.decode())
    assert reader.data, f"no form with id {form_id!r} in the page"
    return {name: values[0] if len(values) == 1 else values for name, values in reader.data.items()}
