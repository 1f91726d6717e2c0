"""Who saw what (查阅记录): every time an official's page, CSV or API answer shows a resident's
full phone number, e-mail address, or a grid's list of those who have not voted, a record is
kept; residents read the records about them, administrators export them. See
:mod:`consult.disclosures.service`."""
