"""The content forms, declared once; the rules stay in dra.content."""

from __future__ import annotations

from flask_wtf.file import FileField

from dra.content import articles, categories
from webapp.forms import Form, text

ArticleForm = type("ArticleForm", (Form,), {name: text() for name in articles.FIELDS})
CategoryForm = type("CategoryForm", (Form,), {name: text() for name in categories.FIELDS})


class ImageForm(Form):
    image = FileField()
