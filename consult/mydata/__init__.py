"""My data (我的信息): what the site holds about a person, shown on one page and downloaded as
JSON or CSV (issue 20).

- :mod:`consult.mydata.sections`: the registry of sections (one per kind of record); a domain
  that stores something about a person appends a :class:`~consult.mydata.sections.Section`.
- :mod:`consult.mydata.service`: asking for a download (one at a time, a few a day), the job
  that writes it, handing it out to its owner only, removing it when it expires.
- :mod:`consult.mydata.views` the page, :mod:`consult.mydata.api` ``GET /api/v1/me/data``.
"""
