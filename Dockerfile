# chart2fhir in a container: Debian slim with Tesseract (OCR of scanned / faxed pages) and
# poppler (pdftoppm renders those pages for it). The image runs `chart2fhir`:
#   docker build -t chart2fhir .
#   docker run --rm -v "$PWD:/data" chart2fhir extract /data/packet.pdf -o /data/packet.json
# Untested here: docker does not run on the machines this project is built on (see README).
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin chart2fhir

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng poppler-utils \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/chart2fhir /usr/local/bin/chart2fhir
USER nobody
ENTRYPOINT ["chart2fhir"]
CMD ["--help"]
