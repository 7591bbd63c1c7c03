#!/bin/sh
# Apply the site settings from the environment (compose.yaml), then run Postfix in the foreground.
set -eu
postconf -e "myhostname = ${MYHOSTNAME:-mail.practice.example}" \
    "mynetworks = 127.0.0.0/8 ${PRACTICE_NETWORKS:-}" \
    "relayhost = ${RELAYHOST:-}"
postfix check
exec postfix start-fg
