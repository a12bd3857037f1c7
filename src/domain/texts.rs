//! Every text the bot sends, in Russian and English, each overridable in `[texts]`.
//! Templates are HTML (Telegram's HTML parse mode) with `{placeholders}`; the values
//! put into them are escaped, so user-supplied text can never change the markup.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use std::fmt;

/// (key, Russian, English). Templates are HTML unless used for emails or button
/// labels / popup answers (plain text); `{name}` placeholders are filled in.
const DEFAULTS: &[(&str, &str, &str)] = &[
    // Customers: onboarding.
    (
        "welcome_new",
        "Здравствуйте, {name}! Это служба поддержки. Чтобы мы могли вам ответить, подтвердите адрес электронной почты.",
        "Hello, {name}! This is the support desk. So that we can help you, please confirm your email address first.",
    ),
    (
        "ask_email",
        "Отправьте, пожалуйста, ваш адрес электронной почты одним сообщением (например, <code>name@example.com</code>).",
        "Please send your email address in one message (for example <code>name@example.com</code>).",
    ),
    (
        "email_as_text",
        "Пришлите адрес электронной почты текстом.",
        "Please send your email address as text.",
    ),
    ("email_empty", "Адрес пустой.", "The address is empty."),
    (
        "email_too_long",
        "Адрес слишком длинный (не больше 254 символов).",
        "The address is too long (at most 254 characters).",
    ),
    (
        "email_no_at",
        "В адресе нет знака «@».",
        "The address has no “@”.",
    ),
    (
        "email_many_at",
        "В адресе должен быть ровно один знак «@».",
        "The address must contain exactly one “@”.",
    ),
    (
        "email_no_local",
        "Перед «@» должно быть имя ящика.",
        "There must be a mailbox name before the “@”.",
    ),
    (
        "email_no_domain",
        "После «@» должен быть домен с точкой, например <code>example.com</code>.",
        "After the “@” there must be a domain with a dot, such as <code>example.com</code>.",
    ),
    (
        "email_invalid",
        "Это не похоже на адрес электронной почты (пробелы и спецсимволы не допускаются).",
        "That does not look like an email address (no spaces or special characters).",
    ),
    (
        "code_sent",
        "Мы отправили код из 6 цифр на <b>{email}</b>. Введите его здесь. Код действует {minutes} мин.",
        "We sent a 6-digit code to <b>{email}</b>. Enter it here. The code is valid for {minutes} min.",
    ),
    (
        "code_mail_subject",
        "Код подтверждения службы поддержки",
        "Your support desk confirmation code",
    ),
    (
        "code_mail_body",
        "Ваш код подтверждения: {code}\n\nКод действует {minutes} мин. Если вы не запрашивали код, просто проигнорируйте это письмо.",
        "Your confirmation code: {code}\n\nThe code is valid for {minutes} min. If you did not ask for it, ignore this email.",
    ),
    (
        "console_code",
        "Код входа в веб-консоль: <code>{code}</code>. Действует {minutes} мин. Никому его не сообщайте; если вы не входили, ничего не делайте.",
        "Your web console sign-in code: <code>{code}</code>. It is valid for {minutes} min. Never share it; if you did not try to sign in, do nothing.",
    ),
    (
        "console_reply_copy",
        "Вы написали из веб-консоли по обращению #{request}:\n{text}",
        "You wrote from the web console on request #{request}:\n{text}",
    ),
    (
        "console_reply_sent",
        "Отправлено клиенту.",
        "Sent to the customer.",
    ),
    (
        "console_not_yours",
        "Обращение #{request} — не ваше активное обращение: сначала возьмите его.",
        "Request #{request} is not your active request: take it first.",
    ),
    (
        "console_reply_empty",
        "Пустой ответ не отправлен.",
        "An empty reply was not sent.",
    ),
    (
        "console_reply_long",
        "Ответ слишком длинный (не более {max} символов).",
        "The reply is too long (at most {max} characters).",
    ),
    (
        "remind_email",
        "Мы всё ещё ждём ваш адрес электронной почты, чтобы подтвердить его. Отправьте его одним сообщением — и можно будет описать ваш вопрос.",
        "We are still waiting for your email address to confirm it. Send it in one message and you can then describe your request.",
    ),
    (
        "remind_code",
        "Мы всё ещё ждём код из 6 цифр, отправленный на <b>{email}</b>. Введите его здесь; если он истёк или письмо не пришло, нажмите «Отправить код ещё раз».",
        "We are still waiting for the 6-digit code sent to <b>{email}</b>. Enter it here; if it expired or the email did not arrive, press “Send the code again”.",
    ),
    (
        "enter_code",
        "Введите код из 6 цифр из письма.",
        "Please enter the 6-digit code from the email.",
    ),
    (
        "code_needed",
        "Нужен новый код: нажмите «Отправить код ещё раз».",
        "A new code is needed: press “Send the code again”.",
    ),
    (
        "code_expired",
        "Срок действия кода истёк. Запросите новый код.",
        "This code has expired. Please ask for a new one.",
    ),
    (
        "code_locked",
        "Слишком много неверных попыток. Запросите новый код.",
        "Too many wrong tries. Please ask for a new code.",
    ),
    (
        "code_wrong",
        "Неверный код. Осталось попыток: {left}.",
        "Wrong code. Tries left: {left}.",
    ),
    (
        "code_send_failed",
        "Не удалось отправить письмо с кодом. Попробуйте ещё раз чуть позже.",
        "The email with your code could not be sent. Please try again in a moment.",
    ),
    (
        "resend_wait",
        "Новый код можно запросить через {seconds} с.",
        "You can ask for a new code in {seconds} s.",
    ),
    (
        "too_many_codes",
        "Слишком много кодов за час. Попробуйте позже.",
        "Too many codes this hour. Please try again later.",
    ),
    (
        "verified",
        "Адрес <b>{email}</b> подтверждён. Опишите ваш вопрос — специалист ответит здесь.",
        "Your address <b>{email}</b> is confirmed. Describe your request and a specialist will answer here.",
    ),
    (
        "already_verified",
        "Адрес уже подтверждён.",
        "Your address is already confirmed.",
    ),
    (
        "email_locked",
        "Адрес уже подтверждён, изменить его больше нельзя.",
        "Your address is confirmed and can no longer be changed.",
    ),
    (
        "start_first",
        "Сначала отправьте /start.",
        "Please send /start first.",
    ),
    ("customer_menu", "Меню:", "Menu:"),
    (
        "greeting",
        "Здравствуйте, {name}! Напишите ваш вопрос, и специалист ответит вам здесь.",
        "Hello, {name}! Write your question and a specialist will answer you here.",
    ),
    (
        "unknown_command",
        "Эта команда мне неизвестна.",
        "I do not know this command.",
    ),
    // Customers: the desk.
    (
        "request_received",
        "Обращение <b>#{id}</b> принято. Специалист скоро ответит.",
        "Your request <b>#{id}</b> is received. A specialist will answer soon.",
    ),
    (
        "outside_hours",
        "Сейчас нерабочее время. Мы ответим, когда вернёмся: {next}.",
        "We are outside working hours now. We will answer when we are back: {next}.",
    ),
    (
        "specialist_assigned",
        "Вашим обращением занимается {name}.",
        "{name} is handling your request.",
    ),
    (
        "back_in_queue",
        "Ваше обращение снова в очереди — ответит другой специалист.",
        "Your request is back in the queue: another specialist will answer.",
    ),
    (
        "closed_customer",
        "Обращение <b>#{id}</b> закрыто. Если появится новый вопрос, просто напишите.",
        "Your request <b>#{id}</b> is closed. If you have another question, just write.",
    ),
    (
        "closed_timeout_customer",
        "Обращение <b>#{id}</b> закрыто, так как ответа не было. Если вопрос остался, просто напишите.",
        "Your request <b>#{id}</b> was closed as there was no reply. If you still need help, just write.",
    ),
    (
        "edited_notice",
        "✏️ Сообщение изменено: {text}",
        "✏️ Message edited: {text}",
    ),
    // Specialists.
    (
        "specialist_greeting",
        "Здравствуйте, {name}! Новые обращения появляются в группе поддержки с кнопкой «Взять». /service — меню.",
        "Hello, {name}! New requests appear in the support group with a “Take” button. /service opens the menu.",
    ),
    (
        "no_active",
        "Сейчас у вас нет активного обращения. Возьмите обращение кнопкой «Взять» в группе поддержки.",
        "You have no active request now. Take one with the “Take” button in the support group.",
    ),
    (
        "card",
        "📋 <b>Обращение #{id}</b>\n{customer}\nОткрыто: {opened}",
        "📋 <b>Request #{id}</b>\n{customer}\nOpened: {opened}",
    ),
    (
        "history_header",
        "<b>История</b> (сообщений: {count}):",
        "<b>History</b> ({count} messages):",
    ),
    (
        "take_ok",
        "Обращение #{id} ваше.",
        "Request #{id} is yours.",
    ),
    (
        "take_gone",
        "Обращение #{id} уже закрыто.",
        "Request #{id} is no longer open.",
    ),
    (
        "take_taken",
        "Обращение #{id} уже взял(а) {name}.",
        "Request #{id} was already taken by {name}.",
    ),
    (
        "take_already_yours",
        "Обращение #{id} уже ваше.",
        "Request #{id} is already yours.",
    ),
    (
        "take_busy",
        "Сначала завершите обращение #{id} (освободите или закройте его).",
        "Finish request #{id} first (release or close it).",
    ),
    (
        "not_yours",
        "Обращение #{id} сейчас не ваше.",
        "Request #{id} is not yours now.",
    ),
    (
        "only_specialists",
        "Это могут делать только специалисты поддержки.",
        "Only support specialists can do this.",
    ),
    (
        "button_unknown",
        "Эта кнопка устарела.",
        "This button is no longer valid.",
    ),
    (
        "released",
        "Обращение <b>#{id}</b> возвращено в очередь.",
        "Request <b>#{id}</b> is back in the queue.",
    ),
    (
        "closed_specialist",
        "Обращение <b>#{id}</b> закрыто.",
        "Request <b>#{id}</b> is closed.",
    ),
    (
        "closed_timeout_specialist",
        "Обращение <b>#{id}</b> закрыто: клиент не ответил вовремя.",
        "Request <b>#{id}</b> was closed: the customer did not answer in time.",
    ),
    (
        "not_delivered_blocked",
        "⚠️ Сообщение не доставлено: клиент заблокировал бота.",
        "⚠️ Not delivered: the customer has blocked the bot.",
    ),
    (
        "not_delivered",
        "⚠️ Сообщение не доставлено: {reason}",
        "⚠️ Not delivered: {reason}",
    ),
    (
        "controller_info",
        "Вы контролёр: уведомления о работе поддержки приходят сюда.",
        "You are a controller: notifications about the support desk arrive here.",
    ),
    // Service groups and controllers.
    (
        "announcement",
        "🆕 <b>Обращение #{id}</b>\n{customer}\nОткрыто: {opened}",
        "🆕 <b>Request #{id}</b>\n{customer}\nOpened: {opened}",
    ),
    (
        "announcement_taken",
        "✅ Взял(а): {name}",
        "✅ Taken by {name}",
    ),
    (
        "taken_notice",
        "Обращение #{id} взял(а) {name}.",
        "Request #{id} was taken by {name}.",
    ),
    // Reminders and escalation (SPEC §6.3).
    (
        "reminder_unassigned",
        "⏰ Обращение #{id} ждёт специалиста уже {waiting}.\n{customer}",
        "⏰ Request #{id} has been waiting for a specialist for {waiting}.\n{customer}",
    ),
    (
        "escalation_unassigned",
        "🚨 Обращение #{id} никто не взял за {waiting}.\n{customer}",
        "🚨 Nobody has taken request #{id} for {waiting}.\n{customer}",
    ),
    (
        "reminder_unanswered",
        "⏰ Клиент ждёт вашего ответа по обращению #{id} уже {waiting}.",
        "⏰ The customer of request #{id} has been waiting for your answer for {waiting}.",
    ),
    (
        "escalation_unanswered",
        "🚨 Клиент обращения #{id} ждёт ответа от {name} уже {waiting}.",
        "🚨 The customer of request #{id} has been waiting for an answer from {name} for {waiting}.",
    ),
    (
        "close_warning",
        "Ваше обращение #{id} закроется через {left}, если вы не ответите.",
        "Your request #{id} will be closed in {left} unless you answer.",
    ),
    (
        "released_notice",
        "{name} вернул(а) обращение #{id} в очередь.",
        "{name} put request #{id} back in the queue.",
    ),
    (
        "closed_notice",
        "Обращение #{id} закрыто ({name}).",
        "Request #{id} was closed ({name}).",
    ),
    (
        "closed_timeout_notice",
        "Обращение #{id} закрыто по таймауту: клиент не ответил ({name}).",
        "Request #{id} was closed by timeout: the customer did not answer ({name}).",
    ),
    (
        "customer_verified",
        "✅ Новый клиент подтвердил адрес: {customer}",
        "✅ New customer verified: {customer}",
    ),
    // Satisfaction surveys (customers).
    (
        "survey_question",
        "Как вы оцените помощь по обращению #{id}?",
        "How would you rate the help with request #{id}?",
    ),
    (
        "survey_rated",
        "Как вы оцените помощь по обращению #{id}?\nВаша оценка: {stars} {rating}/5",
        "How would you rate the help with request #{id}?\nYour rating: {stars} {rating}/5",
    ),
    (
        "survey_comment_ask",
        "Спасибо! Если хотите, напишите комментарий одним сообщением в течение {minutes} мин. или нажмите «Пропустить».",
        "Thank you! If you like, write a comment in one message within {minutes} min, or press Skip.",
    ),
    (
        "survey_comment_thanks",
        "Спасибо за отзыв!",
        "Thank you for your feedback!",
    ),
    (
        "survey_skipped",
        "Хорошо, без комментария. Спасибо!",
        "All right, no comment. Thank you!",
    ),
    // Survey popups (plain text).
    (
        "survey_thanks",
        "Спасибо! Ваша оценка: {rating}",
        "Thank you! Your rating: {rating}",
    ),
    (
        "survey_final",
        "Оценка уже сохранена ({rating}), изменить её больше нельзя.",
        "Your rating ({rating}) is recorded and can no longer be changed.",
    ),
    (
        "survey_not_yours",
        "Это не ваш опрос.",
        "This survey is not yours.",
    ),
    (
        "survey_expired",
        "Опрос по обращению #{id} старше 7 дней и закрыт.",
        "The survey on request #{id} is older than 7 days and closed.",
    ),
    (
        "survey_gone",
        "Опроса по обращению #{id} нет.",
        "There is no survey on request #{id}.",
    ),
    (
        "survey_no_comment_awaited",
        "Комментарий уже не ожидается.",
        "No comment is awaited any more.",
    ),
    // Survey results (staff).
    (
        "rating_notice",
        "⭐ Обращение #{id}: оценка {stars} {rating}/5 от {customer}.",
        "⭐ Request #{id} was rated {stars} {rating}/5 by {customer}.",
    ),
    (
        "rating_changed_notice",
        "⭐ Обращение #{id}: {customer} изменил(а) оценку на {stars} {rating}/5.",
        "⭐ Request #{id}: {customer} changed the rating to {stars} {rating}/5.",
    ),
    (
        "comment_notice",
        "💬 Комментарий к оценке обращения #{id} ({rating}/5) от {customer}:\n{comment}",
        "💬 Comment on the rating of request #{id} ({rating}/5) from {customer}:\n{comment}",
    ),
    // Specialists' menus.
    ("specialist_menu", "Меню специалиста:", "Specialist menu:"),
    (
        "queue_empty",
        "Очередь пуста: неназначенных обращений нет.",
        "The queue is empty: no unassigned requests.",
    ),
    (
        "queue_more",
        "…и ещё {count} в очереди.",
        "…and {count} more in the queue.",
    ),
    (
        "queued",
        "🕓 <b>#{id}</b> · ждёт {waiting}\n{customer}\n{first}",
        "🕓 <b>#{id}</b> · waiting {waiting}\n{customer}\n{first}",
    ),
    ("users_header", "<b>Клиенты</b>", "<b>Customers</b>"),
    ("no_customers", "Клиентов пока нет.", "No customers yet."),
    (
        "page_gone",
        "Этой страницы больше нет — откройте список заново.",
        "This page no longer exists: open the list again.",
    ),
    (
        "history_pick",
        "<b>История</b>: выберите клиента",
        "<b>History</b>: pick a customer",
    ),
    (
        "history_none",
        "{customer}\nОбращений пока нет.",
        "{customer}\nNo requests yet.",
    ),
    (
        "history_archived",
        "{customer}\nОткрытых обращений нет, в архиве: {count}.",
        "{customer}\nNo open request; archived: {count}.",
    ),
    (
        "archive_pick",
        "<b>Архив</b>: выберите обращение",
        "<b>Archive</b>: pick a request",
    ),
    (
        "archive_gone",
        "Такого обращения нет.",
        "There is no such request.",
    ),
    ("zip_preparing", "Готовлю архив…", "Preparing the zip…"),
    (
        "state_email",
        "ожидаем адрес почты",
        "onboarding: waiting for the email",
    ),
    (
        "state_code",
        "ожидаем код",
        "onboarding: waiting for the code",
    ),
    ("state_verified", "подтверждён", "verified"),
    (
        "state_waiting",
        "обращение #{id} в очереди",
        "request #{id} waiting",
    ),
    (
        "state_assigned",
        "обращение #{id} у {name}",
        "request #{id} with {name}",
    ),
    (
        "state_blocked",
        ", заблокировал бота",
        ", has blocked the bot",
    ),
    // Command lists (plain text).
    ("cmd_start", "Начать", "Start"),
    ("cmd_service", "Меню", "Menu"),
    ("cmd_current", "Моё текущее обращение", "My current request"),
    ("cmd_close", "Закрыть моё обращение", "Close my request"),
    (
        "cmd_release",
        "Вернуть обращение в очередь",
        "Put my request back in the queue",
    ),
    (
        "cmd_unassigned",
        "Неназначенные обращения",
        "Unassigned requests",
    ),
    ("cmd_users", "Все клиенты", "All customers"),
    ("cmd_history", "История клиента", "A customer's history"),
    ("cmd_stats", "Статистика", "Statistics"),
    // /stats (HTML; values are built and escaped by the caller).
    (
        "stats_line",
        "взято {taken} · закрыто {closed} · первый ответ: медиана {median}, в среднем {average} · решение в среднем {resolution} · оценка {score} ({ratings})",
        "taken {taken} · closed {closed} · first response: median {median}, average {average} · resolution on average {resolution} · score {score} ({ratings})",
    ),
    (
        "stats_specialist",
        "📊 <b>{name}</b>\n\n<b>Сегодня:</b> {today}\n\n<b>За {days} дн.:</b> {period}\n\n{current}",
        "📊 <b>{name}</b>\n\n<b>Today:</b> {today}\n\n<b>Last {days} days:</b> {period}\n\n{current}",
    ),
    (
        "stats_current",
        "Сейчас у вас обращение <b>#{id}</b>.",
        "Your current request: <b>#{id}</b>.",
    ),
    (
        "stats_no_current",
        "Сейчас у вас нет обращения.",
        "You have no current request.",
    ),
    (
        "stats_team_row",
        "• <b>{name}</b>: {line}",
        "• <b>{name}</b>: {line}",
    ),
    (
        "stats_team",
        "📊 <b>{heading}</b>\n\n{rows}\n\n<b>Всего:</b> {total}\n\n<b>Очередь сейчас:</b> {unassigned} ждут, дольше всех {waiting}",
        "📊 <b>{heading}</b>\n\n{rows}\n\n<b>Total:</b> {total}\n\n<b>Queue now:</b> {unassigned} waiting, the longest {waiting}",
    ),
    ("button_stats_days", "{days} дней", "{days} days"),
    (
        "stats_departments",
        "<b>По отделам:</b>",
        "<b>By department:</b>",
    ),
    (
        "stats_department_row",
        "🏷 <b>{name}</b>: {line} · в очереди {unassigned}, дольше всех {waiting}",
        "🏷 <b>{name}</b>: {line} · queue {unassigned}, the longest {waiting}",
    ),
    (
        "stats_team_heading",
        "Команда за {days} дн.",
        "The team, last {days} days",
    ),
    (
        "stats_daily_heading",
        "Итоги дня {date}",
        "The day's figures, {date}",
    ),
    // Buttons (plain text).
    ("menu_current", "Текущее", "Current"),
    ("menu_close", "Закрыть", "Close"),
    ("menu_release", "Освободить", "Release"),
    ("menu_unassigned", "Очередь", "Unassigned"),
    ("menu_users", "Клиенты", "Users"),
    ("menu_history", "История", "History"),
    ("button_prev", "« Назад", "« Prev"),
    ("button_next", "Далее »", "Next »"),
    ("button_older", "Старше »", "Older »"),
    ("button_archive_last", "Последнее в архиве", "Last archived"),
    ("button_archive_all", "Весь архив", "All archived"),
    (
        "button_archive_earlier",
        "Прежние обращения",
        "Earlier archives",
    ),
    ("button_zip", "Скачать (zip)", "Download (zip)"),
    ("button_take", "Взять", "Take"),
    ("button_rate", "{rating} ⭐", "{rating} ⭐"),
    ("button_skip", "Пропустить", "Skip"),
    ("button_release", "Освободить", "Release"),
    ("button_close", "Закрыть", "Close"),
    (
        "button_change_email",
        "Изменить адрес почты",
        "Change email address",
    ),
    (
        "button_resend",
        "Отправить код ещё раз",
        "Send the code again",
    ),
    // Departments (SPEC §7.2).
    (
        "take_other_department",
        "Обращение #{id} относится к отделу «{department}»: взять его могут только специалисты этого отдела.",
        "Request #{id} belongs to the {department} department: only its specialists can take it.",
    ),
    (
        "department_line",
        "🏷 Отдел: <b>{department}</b>",
        "🏷 Department: <b>{department}</b>",
    ),
    (
        "choose_department",
        "Выберите тему обращения: нажмите кнопку или напишите её номер.",
        "Please choose the topic of your request: tap a button or type its number.",
    ),
    (
        "department_chosen",
        "Тема: «{department}».",
        "Topic: {department}.",
    ),
    (
        "button_stale",
        "Эта кнопка больше не действует.",
        "This button no longer applies.",
    ),
    // Transfer (SPEC §7.1).
    ("transfer_busy_label", "{name} (занят)", "{name} (busy)"),
    (
        "transfer_queue_label",
        "В очередь: {department}",
        "To the queue: {department}",
    ),
    (
        "transfer_choose",
        "Кому передать обращение #{id}?",
        "Transfer request #{id} to:",
    ),
    (
        "transfer_nobody",
        "Передать обращение некому: других специалистов нет.",
        "There is nobody to transfer the request to.",
    ),
    (
        "transfer_not_possible",
        "Передать обращение #{id} этому адресату нельзя.",
        "Request #{id} cannot be transferred there.",
    ),
    (
        "transfer_target_busy",
        "{name} сейчас занят другим обращением; #{id} остаётся у вас.",
        "{name} is busy with another request; #{id} stays with you.",
    ),
    (
        "transfer_done",
        "Обращение #{id} передано: {name}.",
        "Request #{id} transferred to {name}.",
    ),
    (
        "transferred_away",
        "🔀 Обращение #{id} передано: {name}.",
        "🔀 Request #{id} transferred to {name}.",
    ),
    (
        "transferred_to_you",
        "🔀 Обращение #{id} передал вам {name}.",
        "🔀 Request #{id} was transferred to you by {name}.",
    ),
    (
        "transferred_customer",
        "Вашим обращением теперь занимается {name}.",
        "Your request is now handled by {name}.",
    ),
    (
        "transferred_customer_queue",
        "Ваше обращение передано в отдел «{department}»; специалист скоро ответит.",
        "Your request was passed to the {department} team; a specialist will answer soon.",
    ),
    (
        "transferred_notice",
        "🔀 Обращение #{id}: {from} → {to}.",
        "🔀 Request #{id} transferred: {from} → {to}.",
    ),
    // Internal notes (SPEC §7.3).
    (
        "note_usage",
        "Напишите заметку после команды: <code>/note текст</code>. Клиент её не увидит.",
        "Write the note after the command: <code>/note text</code>. The customer never sees it.",
    ),
    (
        "note_saved",
        "📝 Заметка к обращению #{id} сохранена (клиент её не видит).",
        "📝 Note on request #{id} saved (the customer does not see it).",
    ),
    // Canned answers (SPEC §7.4).
    (
        "canned_none",
        "Готовых ответов пока нет.",
        "There are no canned answers yet.",
    ),
    (
        "canned_list",
        "Готовые ответы: нажмите, чтобы отправить клиенту.",
        "Canned answers: tap one to send it to the customer.",
    ),
    (
        "canned_unknown",
        "Готового ответа «{key}» нет. Есть такие:",
        "There is no canned answer “{key}”. These exist:",
    ),
    (
        "canned_sent",
        "Отправлен готовый ответ «{key}».",
        "Canned answer “{key}” sent.",
    ),
    // Blocking (SPEC §7.5).
    (
        "blocked",
        "Вы заблокированы службой поддержки. Ваши сообщения больше не передаются специалистам.",
        "You have been blocked by the support desk. Your messages are no longer passed on to the specialists.",
    ),
    (
        "blocked_done",
        "⛔ Клиент <code>{id}</code> заблокирован.",
        "⛔ Customer <code>{id}</code> is blocked.",
    ),
    (
        "unblocked_done",
        "✅ Клиент <code>{id}</code> разблокирован.",
        "✅ Customer <code>{id}</code> is unblocked.",
    ),
    (
        "block_usage",
        "«{arg}» — не Telegram id клиента. Пример: <code>/block 123456789</code>.",
        "“{arg}” is not a customer's Telegram id. For example: <code>/block 123456789</code>.",
    ),
    (
        "unblock_usage",
        "Укажите Telegram id клиента: <code>/unblock 123456789</code>.",
        "Give the customer's Telegram id: <code>/unblock 123456789</code>.",
    ),
    (
        "only_controllers",
        "Это могут делать только контролёры.",
        "Only controllers can do this.",
    ),
    (
        "customer_unknown",
        "Клиента <code>{id}</code> нет.",
        "There is no customer <code>{id}</code>.",
    ),
    (
        "already_blocked",
        "Клиент <code>{id}</code> уже заблокирован.",
        "Customer <code>{id}</code> is already blocked.",
    ),
    (
        "not_blocked",
        "Клиент <code>{id}</code> не заблокирован.",
        "Customer <code>{id}</code> is not blocked.",
    ),
    (
        "closed_blocked_specialist",
        "Обращение #{id} закрыто, клиент заблокирован.",
        "Request #{id} is closed and the customer blocked.",
    ),
    (
        "closed_blocked_notice",
        "⛔ Обращение #{id} закрыто блокировкой клиента ({name}).",
        "⛔ Request #{id} closed: the customer was blocked ({name}).",
    ),
    ("state_banned", ", заблокирован", ", blocked"),
    ("menu_transfer", "Передать", "Transfer"),
    ("menu_canned", "Готовые ответы", "Canned answers"),
    ("button_transfer", "Передать", "Transfer"),
    ("cmd_transfer", "Передать обращение", "Transfer my request"),
    ("cmd_note", "Заметка к обращению", "Add an internal note"),
    ("cmd_c", "Готовые ответы", "Canned answers"),
    ("cmd_block", "Заблокировать клиента", "Block a customer"),
    (
        "cmd_unblock",
        "Разблокировать клиента",
        "Unblock a customer",
    ),
    // Disk-space alerts to the admins (plain text, in texts.locale).
    ("disk_mb", "{mb} МБ", "{mb} MB"),
    ("disk_mb_gb", "{mb} МБ ({gb})", "{mb} MB ({gb})"),
    ("disk_about_gb", "около {gb} ГБ", "about {gb} GB"),
    (
        "disk_free_share",
        "{mb} МБ ({percent} % диска{gb})",
        "{mb} MB ({percent} % of the disk{gb})",
    ),
    (
        "disk_facts_head",
        "  Сервер:             {host}\n  Путь:               {path}\n",
        "  Server:       {host}\n  Path:         {path}\n",
    ),
    (
        "disk_facts_also",
        "  Там же:             {path}\n",
        "  Also on it:   {path}\n",
    ),
    (
        "disk_facts_rest",
        "  Точка монтирования: {mount}\n  Свободно:           {free}\n  Всего:              {total}\n  Оповещение:         когда свободно меньше {min_mb} или меньше {min_percent} % диска\n",
        "  Mount point:  {mount}\n  Free:         {free}\n  Total:        {total}\n  Alert when:   less than {min_mb} or less than {min_percent} % of the disk is free\n",
    ),
    (
        "disk_mail_low_subject",
        "[relaydesk] Мало места на диске {host}: свободно {free} на {mount}",
        "[relaydesk] Low disk space on {host}: {free} free on {mount}",
    ),
    (
        "disk_mail_still_low_subject",
        "[relaydesk] Всё ещё мало места на диске {host}: свободно {free} на {mount}",
        "[relaydesk] Still low disk space on {host}: {free} free on {mount}",
    ),
    (
        "disk_mail_recovered_subject",
        "[relaydesk] Место на диске {host} освободилось: {mount} снова выше порогов",
        "[relaydesk] Disk space recovered on {host}: {mount} is back above the thresholds",
    ),
    (
        "disk_mail_low",
        "На диске с данными relaydesk заканчивается свободное место.",
        "The disk holding relaydesk's data is running out of free space.",
    ),
    (
        "disk_mail_still_low",
        "Напоминание: на диске с данными relaydesk всё ещё мало свободного места.",
        "Reminder: the disk holding relaydesk's data is still low on free space.",
    ),
    (
        "disk_mail_advice",
        "Когда диск заполнится, relaydesk не сможет вести архив переписки и записывать то, что приходит из Telegram, и сообщения могут потеряться.\n\nЧто сделать:\n  - перенесите старые обращения из папки архива (например, в хранилище резервных копий) или удалите ненужные;\n  - удалите другие большие файлы на этом диске (старые журналы, резервные копии, кэш пакетов);\n  - или увеличьте диск.\n\nЭто напоминание повторяется каждые {repeat}, пока места мало; ещё одно письмо придёт, когда место снова будет выше порогов.\n",
        "When the disk is full, relaydesk can no longer write the conversation archive or record what arrives from Telegram, and messages may be lost.\n\nWhat to do:\n  - move old conversations out of the archive folder (for example to backup storage) or delete the ones no longer needed;\n  - remove other large files on this disk (old logs, backups, package caches);\n  - or enlarge the disk.\n\nThis reminder is repeated every {repeat} while the space stays low; one more email follows when it is back above the thresholds.\n",
    ),
    (
        "disk_mail_recovered",
        "Свободное место на диске с данными relaydesk снова выше порогов оповещения.",
        "The free space of the disk holding relaydesk's data is back above the alert thresholds.",
    ),
    (
        "disk_mail_recovered_end",
        "Ничего делать не нужно. Если места снова станет мало, придёт новое оповещение.\n",
        "Nothing needs to be done. A new alert follows if the space runs low again.\n",
    ),
    (
        "disk_chat_figures",
        "Свободно {free} ({percent} %) из {total} на {mount} ({paths}); оповещение ниже {min_mb} или {min_percent} %.",
        "{free} free ({percent} %) of {total} on {mount} ({paths}); alert below {min_mb} or {min_percent} %.",
    ),
    (
        "disk_chat_low",
        "⚠️ Мало места на диске {host}.\n{figures}\nОчистите архив или увеличьте диск.",
        "⚠️ Low disk space on {host}.\n{figures}\nClean the archive or enlarge the disk.",
    ),
    (
        "disk_chat_still_low",
        "⚠️ На диске {host} всё ещё мало места.\n{figures}\nОчистите архив или увеличьте диск.",
        "⚠️ Disk space on {host} is still low.\n{figures}\nClean the archive or enlarge the disk.",
    ),
    (
        "disk_chat_recovered",
        "✅ Место на диске {host} снова выше порогов.\n{figures}",
        "✅ Disk space on {host} is back above the thresholds.\n{figures}",
    ),
    // Days of the week, Monday first, separated by spaces (the next opening).
    (
        "weekdays",
        "Пн Вт Ср Чт Пт Сб Вс",
        "Mon Tue Wed Thu Fri Sat Sun",
    ),
    // Transcripts (plain text, in texts.locale).
    (
        "transcript_communication",
        "Обращение #{id}",
        "Communication #{id}",
    ),
    (
        "transcript_customer",
        "Клиент: {who}, Telegram id {id}",
        "Customer: {who}, Telegram id {id}",
    ),
    (
        "transcript_customer_email",
        "Клиент: {who}, Telegram id {id}, email {email}",
        "Customer: {who}, Telegram id {id}, email {email}",
    ),
    ("transcript_opened", "Открыто: {at}", "Opened: {at}"),
    (
        "transcript_no_specialists",
        "Специалисты: нет",
        "Specialists: none",
    ),
    ("transcript_specialists", "Специалисты:", "Specialists:"),
    (
        "transcript_took",
        "{name} (id {id}): взял {at}",
        "{name} (id {id}): took {at}",
    ),
    (
        "transcript_until_close",
        ", до закрытия {at}",
        ", until the close {at}",
    ),
    ("transcript_released", ", отпустил {at}", ", released {at}"),
    (
        "transcript_closed",
        "Закрыто: {at}\nПричина закрытия: {reason}",
        "Closed: {at}\nClose reason: {reason}",
    ),
    (
        "transcript_assigned",
        "Статус: открыто, у специалиста",
        "Status: open, assigned",
    ),
    (
        "transcript_unassigned",
        "Статус: открыто, ждёт специалиста",
        "Status: open, waiting for a specialist",
    ),
];

/// Language of the bot's texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
    Ru,
    En,
}

impl Locale {
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Ru => "ru",
            Locale::En => "en",
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Locale {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Locale, D::Error> {
        let s = String::deserialize(deserializer)?;
        match s.trim().to_ascii_lowercase().as_str() {
            "ru" => Ok(Locale::Ru),
            "en" => Ok(Locale::En),
            _ => Err(D::Error::custom(format!(
                "expected \"ru\" or \"en\", got {s:?}"
            ))),
        }
    }
}

/// Every text: the ones above and those of Telegram in the wild (SPEC §10).
fn all() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    DEFAULTS.iter().chain(super::texts_wild::WILD)
}

/// The texts of one locale, overrides applied.
#[derive(Clone, Debug)]
pub struct Lang {
    locale: Locale,
    map: HashMap<&'static str, String>,
}

impl Lang {
    fn defaults(locale: Locale) -> Lang {
        let map = all()
            .map(|(key, ru, en)| {
                let text = match locale {
                    Locale::Ru => ru,
                    Locale::En => en,
                };
                (*key, (*text).to_string())
            })
            .collect();
        Lang { locale, map }
    }

    /// Apply `overrides`; the keys that name no text are pushed to `problems`
    /// (after `prefix`).
    fn apply(
        &mut self,
        overrides: &BTreeMap<String, String>,
        prefix: &str,
        problems: &mut Vec<String>,
    ) {
        for (key, value) in overrides {
            match all().find(|(k, _, _)| k == key) {
                Some((k, _, _)) => {
                    self.map.insert(k, value.clone());
                }
                None => problems.push(format!("{prefix}{key}")),
            }
        }
    }

    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// An HTML template with each `{name}` replaced by its HTML-escaped value.
    pub fn render(&self, key: &str, vars: &[(&str, &str)]) -> String {
        self.fill(key, vars, escape_html)
    }

    /// An HTML template whose values are HTML already (built and escaped by the
    /// caller).
    pub fn render_html(&self, key: &str, vars: &[(&str, &str)]) -> String {
        self.fill(key, vars, str::to_string)
    }

    /// A plain-text template (emails, button labels, popup answers) with values as
    /// they are.
    pub fn render_plain(&self, key: &str, vars: &[(&str, &str)]) -> String {
        self.fill(key, vars, str::to_string)
    }

    fn fill(&self, key: &str, vars: &[(&str, &str)], value: impl Fn(&str) -> String) -> String {
        let template = self.map.get(key).map(String::as_str).unwrap_or(key);
        // One pass over the template, so a value containing `{x}` is never filled.
        let mut out = String::with_capacity(template.len() + 32);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let filled = after.find('}').and_then(|close| {
                let name = &after[..close];
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (value(v), close))
            });
            match filled {
                Some((v, close)) => {
                    out.push_str(&v);
                    rest = &after[close + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// The overrides of `[texts]`: plain keys apply to `texts.locale`, `[texts.ru]` and
/// `[texts.en]` to that locale (after the plain ones).
#[derive(Clone, Copy, Debug, Default)]
pub struct Overrides<'a> {
    pub plain: Option<&'a BTreeMap<String, String>>,
    pub ru: Option<&'a BTreeMap<String, String>>,
    pub en: Option<&'a BTreeMap<String, String>>,
}

/// Both locales' texts: the staff's (`texts.locale`, also for transcripts and
/// emails) and, with `per_customer`, each customer's by their Telegram language
/// (SPEC §9). `render` speaks the staff's locale; [`Texts::for_language`] gives a
/// customer's.
#[derive(Clone, Debug)]
pub struct Texts {
    staff: Locale,
    per_customer: bool,
    ru: Arc<Lang>,
    en: Arc<Lang>,
}

impl Texts {
    /// The texts of `locale` with `overrides` applied, customers answered in their
    /// language; the keys of overrides that name no text are refused.
    pub fn new(locale: Locale, overrides: &BTreeMap<String, String>) -> Result<Texts, Vec<String>> {
        let o = Overrides {
            plain: Some(overrides),
            ..Overrides::default()
        };
        Texts::configured(locale, true, o)
    }

    /// The texts of `locale` as they come, with no overrides.
    pub fn defaults(locale: Locale) -> Texts {
        Texts {
            staff: locale,
            per_customer: true,
            ru: Arc::new(Lang::defaults(Locale::Ru)),
            en: Arc::new(Lang::defaults(Locale::En)),
        }
    }

    /// The texts as `[texts]` configures them: the problems are the unknown keys,
    /// those of `[texts.ru]` / `[texts.en]` after `ru.` / `en.`.
    pub fn configured(
        locale: Locale,
        per_customer: bool,
        overrides: Overrides<'_>,
    ) -> Result<Texts, Vec<String>> {
        let mut problems = Vec::new();
        let mut ru = Lang::defaults(Locale::Ru);
        let mut en = Lang::defaults(Locale::En);
        if let Some(plain) = overrides.plain {
            let own = match locale {
                Locale::Ru => &mut ru,
                Locale::En => &mut en,
            };
            own.apply(plain, "", &mut problems);
        }
        if let Some(o) = overrides.ru {
            ru.apply(o, "ru.", &mut problems);
        }
        if let Some(o) = overrides.en {
            en.apply(o, "en.", &mut problems);
        }
        if problems.is_empty() {
            Ok(Texts {
                staff: locale,
                per_customer,
                ru: Arc::new(ru),
                en: Arc::new(en),
            })
        } else {
            Err(problems)
        }
    }

    /// `texts.locale`.
    pub fn locale(&self) -> Locale {
        self.staff
    }

    fn of(&self, locale: Locale) -> &Lang {
        match locale {
            Locale::Ru => &self.ru,
            Locale::En => &self.en,
        }
    }

    /// The staff's texts (also transcripts and emails).
    pub fn staff(&self) -> &Lang {
        self.of(self.staff)
    }

    /// The texts for someone whose Telegram `language_code` is `code`: "ru…" is
    /// Russian, "en…" English, anything else (or `per_customer = false`) the
    /// staff's locale.
    pub fn for_language(&self, code: Option<&str>) -> &Lang {
        if !self.per_customer {
            return self.staff();
        }
        match code.map(|c| c.trim().to_ascii_lowercase()) {
            Some(c) if c.starts_with("ru") => &self.ru,
            Some(c) if c.starts_with("en") => &self.en,
            _ => self.staff(),
        }
    }

    /// [`Lang::render`] in the staff's locale.
    pub fn render(&self, key: &str, vars: &[(&str, &str)]) -> String {
        self.staff().render(key, vars)
    }

    /// [`Lang::render_html`] in the staff's locale.
    pub fn render_html(&self, key: &str, vars: &[(&str, &str)]) -> String {
        self.staff().render_html(key, vars)
    }

    /// [`Lang::render_plain`] in the staff's locale.
    pub fn render_plain(&self, key: &str, vars: &[(&str, &str)]) -> String {
        self.staff().render_plain(key, vars)
    }
}

/// Escape text for Telegram's HTML parse mode (`&`, `<`, `>` and `"`).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape_html("<b>a & b</code>\""),
            "&lt;b&gt;a &amp; b&lt;/code&gt;&quot;"
        );
    }

    #[test]
    fn overrides_apply_and_unknown_keys_are_reported() {
        let mut o = BTreeMap::new();
        o.insert("greeting".to_string(), "Hi {name}".to_string());
        let t = Texts::new(Locale::En, &o).unwrap();
        assert_eq!(t.render("greeting", &[("name", "<x>")]), "Hi &lt;x&gt;");
        o.insert("nonsense".to_string(), "x".to_string());
        let problems = Texts::new(Locale::Ru, &o).unwrap_err();
        assert_eq!(problems, vec!["nonsense".to_string()]);
    }

    #[test]
    fn customers_get_their_language_and_overrides_their_locale() {
        let plain = BTreeMap::from([("ask_email".to_string(), "RU plain".to_string())]);
        let en = BTreeMap::from([("ask_email".to_string(), "EN own".to_string())]);
        let o = Overrides {
            plain: Some(&plain),
            en: Some(&en),
            ..Overrides::default()
        };
        let t = Texts::configured(Locale::Ru, true, o).unwrap();
        assert_eq!(t.render("ask_email", &[]), "RU plain");
        assert_eq!(
            t.for_language(Some("en-US")).render("ask_email", &[]),
            "EN own"
        );
        assert_eq!(
            t.for_language(Some("ru")).render("ask_email", &[]),
            "RU plain"
        );
        assert_eq!(t.for_language(Some("de")).locale(), Locale::Ru);
        assert_eq!(t.for_language(None).locale(), Locale::Ru);
        let off = Texts::configured(Locale::Ru, false, o).unwrap();
        assert_eq!(off.for_language(Some("en")).locale(), Locale::Ru);
        let bad = BTreeMap::from([("nonsense".to_string(), "x".to_string())]);
        let o = Overrides {
            ru: Some(&bad),
            ..Overrides::default()
        };
        assert_eq!(
            Texts::configured(Locale::En, true, o).unwrap_err(),
            vec!["ru.nonsense".to_string()]
        );
    }

    #[test]
    fn both_locales_have_every_text() {
        for (key, ru, en) in all() {
            assert!(!ru.is_empty() && !en.is_empty(), "{key}");
        }
    }
}
