//! More texts of `texts.rs`: the specialist's toolbox and routing (SPEC §7), the
//! disk-space alerts, the days of the week and the transcripts' words:
//! (key, Russian, English), each overridable in `[texts]`.

pub(super) const TOOLBOX: &[(&str, &str, &str)] = &[
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
