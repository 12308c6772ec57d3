"""B, the yardstick of benchmarks/http.py: Flask's "Hello, World!" and nothing else."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
