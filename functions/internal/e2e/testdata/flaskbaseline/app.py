"""Baseline for BenchmarkSessionCheck: the same session check as GET /api/me
(find the session record the cookie names, answer the user or 401), written
the common Python way: Flask + Flask-Session with its filesystem store,
served by gunicorn with two sync workers. Started by the benchmark with
BASELINE_SECRET_KEY and BASELINE_SESSION_DIR in the environment."""

import os

from flask import Flask, jsonify, session
from flask_session import Session

app = Flask(__name__)
app.config.update(
    SECRET_KEY=os.environ["BASELINE_SECRET_KEY"],
    SESSION_TYPE="filesystem",
    SESSION_FILE_DIR=os.environ["BASELINE_SESSION_DIR"],
    SESSION_PERMANENT=False,
)
Session(app)


@app.post("/api/login")
def login():
    session["user"] = {"id": "baseline", "email": "baseline@example.com", "name": "Baseline User"}
    return jsonify(ok=True)


@app.get("/api/me")
def me():
    user = session.get("user")
    if user is None:
        return jsonify(error={"code": "unauthenticated", "message": "Please sign in."}), 401
    return jsonify(user=user)
