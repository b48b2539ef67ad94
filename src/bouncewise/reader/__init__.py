"""The generic reader: any delivery failure, delay or success notice read without a decoder for
its format, from the signs that mail systems in general put in their notices.

* **Claiming** (``signals``): the headers say a mail system is speaking (MAILER-DAEMON,
  postmaster, "Mail Delivery System", localised names; a failure or delay Subject in many
  languages; X-Failed-Recipients; a report or an automatic message with the returned message
  attached) and the text says delivery failed or is delayed, or quotes an SMTP reply.
  Feedback reports, read receipts and mailing-list traffic are never claimed.
* **Text** (``text``) and **boundary** (``boundary``): the notice's own text, cut where the
  copy of the returned message starts.
* **Recipients** (``recipients``): the addresses in a recipient's place, each with the lines
  that belong to it; never the sender's, the mail system's or the returned message's author's.
* **Replies** (``replies``): per recipient, the remote server's reply, its codes, the SMTP
  command and the remote host.
* **Flow** (``notice``): one Block per failed recipient, merged with the report's
  delivery-status fields when it has them. Reasons are left to the classifier.

Vocabulary lives in ``reader/data/*.toml``. Patterns are linear and input is capped.
"""

from __future__ import annotations

from bouncewise.reader.notice import read, text_blocks
from bouncewise.reader.signals import detect

__all__ = ["detect", "read", "text_blocks"]
