"""The public site's content, managed by platform admins (UC-ADM-09, 10, 11, 13).

- ``markdown``: an article body (Markdown) to safe HTML (markdown-it-py, then nh3);
- ``slugs``: slugs made from titles and names, checked;
- ``categories`` and ``articles``: the rows, their rules and the public listing;
- ``images``: uploaded images checked and re-encoded with Pillow, kept under the data
  folder with random names;
- ``sitemap``: ``sitemap.xml`` (written to the data folder whenever an article or a
  category changes) and ``robots.txt``.

Every refusal is a ``dra.errors.DraError`` naming the field; nothing is changed.
"""
