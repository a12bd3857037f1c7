//! The texts of Telegram in the wild (SPEC §10), kept beside the others of
//! `texts.rs` and overridable the same way: (key, Russian, English).

pub(super) const WILD: &[(&str, &str, &str)] = &[
    (
        "group_moved",
        "⚠️ Служебная группа <code>{old}</code> стала супергруппой <code>{new}</code>. Бот уже пишет в новую. Замените id на <code>{new}</code> в config.toml: {keys}.",
        "⚠️ The service group <code>{old}</code> became the supergroup <code>{new}</code>. The bot writes to the new one already. Replace the id with <code>{new}</code> in config.toml: {keys}.",
    ),
    (
        "bot_removed",
        "🚨 Бота удалили из служебной группы <code>{group}</code>: объявления туда больше не доходят. Добавьте бота обратно.",
        "🚨 The bot was removed from the service group <code>{group}</code>: announcements no longer reach it. Add the bot back.",
    ),
    (
        "bot_readded",
        "✅ Бот снова в служебной группе <code>{group}</code>.",
        "✅ The bot is back in the service group <code>{group}</code>.",
    ),
    (
        "customer_unblocked_bot",
        "✅ Клиент разблокировал бота: сообщения снова доходят.",
        "✅ The customer unblocked the bot: messages reach them again.",
    ),
    (
        "take_undone_unreachable",
        "⚠️ {name} не может получать сообщения бота, поэтому обращение #{id} снова в очереди. {name}, сначала напишите боту /start, затем возьмите обращение снова.",
        "⚠️ {name} cannot get messages from the bot, so request #{id} is back in the queue. {name}, write /start to the bot first, then take the request again.",
    ),
    (
        "not_copied_from_customer",
        "⚠️ Клиент отправил сообщение ({kind}), которое нельзя переслать.",
        "⚠️ The customer sent a message ({kind}) that can't be forwarded.",
    ),
    (
        "not_copied_from_specialist",
        "⚠️ Специалист отправил сообщение ({kind}), которое нельзя переслать.",
        "⚠️ The specialist sent a message ({kind}) that can't be forwarded.",
    ),
];
