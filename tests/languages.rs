//! Per-customer language end to end (SPEC §9): on a desk whose `texts.locale` is
//! Russian, a customer whose Telegram language is English is answered in English
//! (onboarding, the request's confirmation, the specialist's arrival, the close, the
//! survey), while the specialist and the groups get Russian; with
//! `texts.per_customer = false` the customer gets Russian too.

mod support;

use support::desk::{ANNA, Desk, GROUP, STAFF};

const ANN: i64 = 4242;

const RU: &str = "[texts]\nlocale = \"ru\"\n";

/// Onboard `chat` (whose language code the fake says is "en"), waiting for each
/// step's text: `ask`, then `sent`, then `confirmed`.
async fn onboard(desk: &Desk, chat: i64, email: &str, [ask, sent, confirmed]: [&str; 3]) {
    desk.say(chat, "/start").await;
    desk.wait_text(chat, ask).await;
    desk.say(chat, email).await;
    desk.wait_text(chat, sent).await;
    let code = desk.code_for(email, 1).await;
    desk.say(chat, &code).await;
    desk.wait_text(chat, confirmed).await;
}

#[tokio::test]
async fn an_english_customer_on_a_russian_desk_is_answered_in_english() {
    let desk = Desk::start_with(STAFF, RU).await;
    onboard(
        &desk,
        ANN,
        "ann@example.com",
        [
            "Please send your email address",
            "We sent a 6-digit code",
            "is confirmed",
        ],
    )
    .await;
    // The groups hear of the new customer in Russian.
    desk.wait_text(GROUP, "Новый клиент подтвердил адрес").await;

    desk.say(ANN, "My printer prints blank pages").await;
    let received = desk.wait_text(ANN, "is received").await;
    let id: i64 = received
        .text()
        .unwrap()
        .split('#')
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap();
    desk.wait_text(GROUP, &format!("Обращение #{id}</b>")).await;

    desk.press(ANNA, GROUP, &format!("t:{id}")).await;
    desk.wait_answer(&format!("Обращение #{id} ваше.")).await;
    desk.wait_text(ANN, "Anna is handling your request.").await;

    desk.say(ANNA, "/close").await;
    desk.wait_text(ANNA, &format!("Обращение <b>#{id}</b> закрыто."))
        .await;
    desk.wait_text(ANN, &format!("Your request <b>#{id}</b> is closed."))
        .await;
    desk.wait_text(
        ANN,
        &format!("How would you rate the help with request #{id}?"),
    )
    .await;
    desk.drained().await;
    // Nothing Russian reached the customer, nothing English the specialist.
    assert_eq!(desk.count_texts(ANN, "Обращение"), 0);
    assert_eq!(desk.count_texts(ANNA, "Request"), 0);
    // The code's email is in texts.locale, like every email.
    let mail = &desk.sink.messages()[0];
    assert!(
        mail.body_text().contains("Ваш код подтверждения"),
        "{}",
        mail.body_text()
    );
    // What the export says of her language is what Telegram said.
    let customers = desk.export("customers", "csv", &[]);
    assert!(
        customers
            .lines()
            .any(|l| l.starts_with("4242,") && l.contains(",en,")),
        "{customers}"
    );
}

#[tokio::test]
async fn with_per_customer_off_every_customer_gets_the_desk_locale() {
    let desk = Desk::start_with(STAFF, &format!("{RU}per_customer = false\n")).await;
    onboard(
        &desk,
        ANN,
        "ann@example.com",
        [
            "ваш адрес электронной почты",
            "Мы отправили код из 6 цифр",
            "подтверждён",
        ],
    )
    .await;
    desk.say(ANN, "Принтер печатает пустые страницы").await;
    desk.wait_text(ANN, "принято. Специалист скоро ответит.")
        .await;
    assert_eq!(desk.count_texts(ANN, "email address"), 0);
}

#[tokio::test]
async fn a_customer_speaking_russian_on_an_english_desk_is_answered_in_russian() {
    // The desk's locale is English (the tests' default); Telegram says "ru-RU".
    let desk = Desk::start().await;
    desk.say_in(ANN, "ru-RU", "/start").await;
    desk.wait_text(ANN, "ваш адрес электронной почты").await;
    // A language the desk has no texts for gets its locale.
    desk.say_in(5151, "de", "/start").await;
    desk.wait_text(5151, "Please send your email address").await;
}
