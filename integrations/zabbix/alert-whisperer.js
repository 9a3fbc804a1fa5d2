/* global value, HttpRequest, Zabbix */
// Alert Whisperer webhook media type script (Zabbix 6.0+). Zabbix compiles the Script field as the body of
// function (value) { ... } and runs it in Duktape, so this file is plain ES5 and ends with a top-level
// return. `value` is the JSON of the media type's parameters. The copy embedded in
// media_type_alert_whisperer.yaml must stay identical to this file (test/unit/receivers.test.ts checks it).
// HttpRequest replaced CurlHttpRequest in Zabbix 5.4; CurlHttpRequest was removed in 6.2.
var AlertWhisperer = {
    // Zabbix leaves a macro it cannot expand as it is, e.g. {EVENT.RECOVERY.ID} in a problem notification.
    clean: function (v) {
        if (typeof v !== 'string') {
            return '';
        }
        v = v.trim();
        return /^\{[A-Z0-9._$]+\}$/.test(v) ? '' : v;
    },

    // {EVENT.TAGSJSON}: [{"tag":"service","value":"nginx"}, ...].
    tags: function (json) {
        var list, out = [], i;
        try {
            list = JSON.parse(AlertWhisperer.clean(json) || '[]');
        }
        catch (e) {
            Zabbix.log(4, '[Alert Whisperer webhook] event_tags is not JSON: ' + e);
            return [];
        }
        for (i = 0; list instanceof Array && i < list.length; i++) {
            if (list[i] && typeof list[i].tag === 'string') {
                out.push({ tag: list[i].tag, value: typeof list[i].value === 'string' ? list[i].value : '' });
            }
        }
        return out;
    },

    validate: function (params) {
        if (!/^https?:\/\/.+/.test(AlertWhisperer.clean(params.URL))) {
            throw 'parameter "URL" must be the https URL of /api/webhooks/zabbix';
        }
        if (!AlertWhisperer.clean(params.api_key) || params.api_key.charAt(0) === '<') {
            throw 'parameter "api_key" must hold your Alert Whisperer API key';
        }
        if (params.event_source !== undefined && AlertWhisperer.clean(params.event_source) !== '0') {
            throw 'only trigger events can be sent (event source ' + params.event_source + ')';
        }
        if (!/^\d+$/.test(AlertWhisperer.clean(params.event_id))) {
            throw 'parameter "event_id" must be {EVENT.ID}, got "' + params.event_id + '"';
        }
        if (params.event_value !== '0' && params.event_value !== '1') {
            throw 'parameter "event_value" must be {EVENT.VALUE} (0 or 1), got "' + params.event_value + '"';
        }
    },

    // The body api/receivers/zabbix.ts reads (ZabbixBody).
    body: function (params) {
        var c = AlertWhisperer.clean;
        return {
            event_id: c(params.event_id),
            event_value: c(params.event_value),
            event_update_status: c(params.event_update_status) === '1' ? '1' : '0',
            event_recovery_id: c(params.event_recovery_id),
            event_name: c(params.event_name),
            event_severity: c(params.event_severity),
            event_nseverity: c(params.event_nseverity),
            event_tags: AlertWhisperer.tags(params.event_tags),
            host_name: c(params.host_name),
            trigger_id: c(params.trigger_id),
            trigger_name: c(params.trigger_name),
            subject: c(params.subject),
            message: c(params.message)
        };
    },

    send: function (params, body) {
        var req = new HttpRequest(), resp, status;
        if (AlertWhisperer.clean(params.HTTPProxy)) {
            req.setProxy(params.HTTPProxy);
        }
        req.addHeader('Content-Type: application/json');
        req.addHeader('X-API-Key: ' + AlertWhisperer.clean(params.api_key));
        resp = req.post(AlertWhisperer.clean(params.URL), JSON.stringify(body));
        status = req.getStatus();
        // 202 stored, 200 a duplicate already stored: both mean Zabbix must not retry.
        if (status < 200 || status >= 300) {
            throw 'HTTP ' + status + ': ' + String(resp).substring(0, 300);
        }
        return status;
    }
};

try {
    var params = JSON.parse(value);
    AlertWhisperer.validate(params);
    var body = AlertWhisperer.body(params);
    Zabbix.log(4, '[Alert Whisperer webhook] event ' + body.event_id + ' value ' + body.event_value);
    AlertWhisperer.send(params, body);
    return 'OK';
}
catch (error) {
    Zabbix.log(3, '[Alert Whisperer webhook] notification failed: ' + error);
    throw 'Alert Whisperer notification failed: ' + error;
}
