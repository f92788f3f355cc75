{#- Money in a feed's currency converted to USD with the weekly rate of
    ref_fx_rates (joined by the caller as `fx_alias` on currency and Monday week);
    USD amounts pass through unchanged. -#}
{% macro to_usd(amount, currency, fx_alias='fx') -%}
    case
        when {{ currency }} = 'USD' then {{ amount }}
        else {{ amount }} * {{ fx_alias }}.usd_per_unit
    end
{%- endmacro %}
