//! The texts of `texts.rs`, in Russian and English: (key, Russian, English), each
//! overridable in `[texts]` (the ones of Telegram in the wild are in
//! `texts_wild.rs`).

/// (key, Russian, English). Templates are HTML unless used for emails or button
/// labels / popup answers (plain text); `{name}` placeholders are filled in.
pub(super) const DEFAULTS: &[(&str, &str, &str)] = &[
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
];
