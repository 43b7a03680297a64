//! `migrate [DATABASE_URL]`: applies pending migrations (URL from the argument or `DATABASE_URL`).
use missed_call_textback::database;
use missed_call_textback::store::migrations;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let url = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("DATABASE_URL").ok())
        .unwrap_or_else(|| {
            eprintln!("usage: migrate DATABASE_URL (or set DATABASE_URL)");
            std::process::exit(2);
        });
    let outcome = async {
        let mut db = database::connect_url(&url).await?;
        migrations::run(&mut db).await
    };
    match outcome.await {
        Ok(applied) if applied.is_empty() => println!("migrations: nothing to apply"),
        Ok(applied) => println!("migrations: applied {applied:?}"),
        Err(error) => {
            eprintln!("migrations failed: {error}");
            std::process::exit(1);
        }
    }
}
