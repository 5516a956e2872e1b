# GRU Matrix Lab: the Streamlit app on port 8501.
#   docker build -t gru-matrix-lab .
#   docker run --rm -p 8501:8501 gru-matrix-lab
FROM python:3.11-slim

# One BLAS thread per product: the app's matrices are small and a server has many sessions;
# two threads per product mostly wait for each other (benchmarks/README.md: 1.7 s -> 0.14 s
# for a training epoch on a busy 2-core machine).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OPENBLAS_NUM_THREADS=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 app
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

# The app and its engine; .dockerignore keeps tests, CI, venvs and caches out.
COPY --chown=app:app . .

USER app
EXPOSE 8501

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read().strip() == b'ok' else 1)"]

CMD ["streamlit", "run", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501"]
