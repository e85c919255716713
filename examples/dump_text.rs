fn main() {
    let path = std::env::args().nth(1).unwrap();
    let doc = chart2fhir::ingest::read(std::path::Path::new(&path), &Default::default());
    match doc {
        Ok(d) => for p in d.pages { println!("=== page {} ===\n{}", p.number, p.text); },
        Err(e) => eprintln!("error: {e}"),
    }
}
